#include "client/fingerprint.hpp"

#include <gtest/gtest.h>

using namespace ailab::client;

namespace {
const std::string hex = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
const std::string server_form =
    "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF";
}  // namespace

TEST(Fingerprint, TheServersFormAndPlainHexMeanTheSame) {
    EXPECT_EQ(normalize_fingerprint(server_form).value(), hex);
    EXPECT_EQ(normalize_fingerprint(hex).value(), hex);
    std::string upper = hex;
    for (auto& c : upper) c = static_cast<char>(std::toupper(c));
    EXPECT_EQ(normalize_fingerprint(upper).value(), hex);
    EXPECT_EQ(display_fingerprint(hex), server_form);
}

TEST(Fingerprint, RefusesWhatIsNotA256BitHash) {
    // Bad input: too short, too long, a non-hex digit, colons in the wrong places, SHA-1 size.
    EXPECT_FALSE(normalize_fingerprint(hex.substr(2)));
    EXPECT_FALSE(normalize_fingerprint(hex + "00"));
    EXPECT_FALSE(normalize_fingerprint("g" + hex.substr(1)));
    std::string shifted = server_form;
    std::swap(shifted[2], shifted[3]);  // "00:11" → "001:1"
    EXPECT_FALSE(normalize_fingerprint(shifted));
    EXPECT_FALSE(normalize_fingerprint("AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD"));
    EXPECT_FALSE(normalize_fingerprint(""));
}

TEST(Fingerprint, Sha256OfKnownBytes) {
    // FIPS 180-2 example: SHA-256("abc").
    EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}
