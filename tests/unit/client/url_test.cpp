#include "client/url.hpp"

#include <gtest/gtest.h>

using namespace ailab::client;

TEST(ServerUrl, PartsAndTheCredentialsKey) {
    auto url = parse_server_url("https://gpu1:12345/").value();
    EXPECT_EQ(url.scheme, Scheme::https);
    EXPECT_EQ(url.host, "gpu1");
    EXPECT_EQ(url.port, "12345");
    EXPECT_EQ(url.base, "");
    EXPECT_EQ(url.text, "https://gpu1:12345");  // the trailing '/' is not part of the key
    EXPECT_EQ(url.host_header(), "gpu1:12345");

    auto plain = parse_server_url("HTTP://lab.example.org/ai/").value();
    EXPECT_EQ(plain.scheme, Scheme::http);
    EXPECT_EQ(plain.port, "80");
    EXPECT_EQ(plain.base, "/ai");
    EXPECT_EQ(plain.target("/api/v1/jobs"), "/ai/api/v1/jobs");
    EXPECT_EQ(plain.text, "http://lab.example.org/ai");
    EXPECT_EQ(plain.host_header(), "lab.example.org");

    auto v6 = parse_server_url("http://[::1]:8080").value();
    EXPECT_EQ(v6.host, "::1");
    EXPECT_EQ(v6.host_header(), "[::1]:8080");
    EXPECT_TRUE(is_ip_address(v6.host));
    EXPECT_TRUE(is_ip_address("127.0.0.1"));
    EXPECT_FALSE(is_ip_address("localhost"));
}

TEST(ServerUrl, RefusesAmbiguousAddresses) {
    // Bad input: no scheme, another scheme, no host, bad ports, user info, queries, bare IPv6.
    for (const char* text : {"gpu1:12345", "ftp://gpu1", "http://", "http://:80", "http://gpu1:0", "http://gpu1:65536",
                             "http://gpu1:12a", "http://ada@gpu1", "http://gpu1/?x=1", "http://::1:80", "http://[::1"})
        EXPECT_FALSE(parse_server_url(text)) << "accepted " << text;
}
