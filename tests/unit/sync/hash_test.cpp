// The sync hash must equal Python's hashlib.blake2b(digest_size=32): the Python client and the
// server compare these strings.
#include "sync/hash.hpp"

#include <gtest/gtest.h>

namespace ailab::sync {
namespace {

TEST(Hash, MatchesPythonsBlake2b256) {
    // python3 -c 'import hashlib; print(hashlib.blake2b(b"", digest_size=32).hexdigest())'
    EXPECT_EQ(hash_bytes(""), "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8");
    EXPECT_EQ(hash_bytes("abc"), "bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319");
}

TEST(Hash, IncrementalEqualsOneShot) {
    Hasher hasher;
    hasher.update("a");
    hasher.update("bc");
    EXPECT_EQ(hasher.finish(), hash_bytes("abc"));
}

TEST(Hash, RecognisesOnlyLowerCaseHex64) {
    EXPECT_TRUE(is_hash(hash_bytes("x")));
    EXPECT_FALSE(is_hash("ABC"));
    EXPECT_FALSE(is_hash(std::string(64, 'G')));
    EXPECT_FALSE(is_hash(std::string(63, 'a')));
}

}  // namespace
}  // namespace ailab::sync
