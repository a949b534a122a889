#include "net/tls.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <memory>
#include <stdexcept>

namespace ailab::net {
namespace {

struct FileCloser {
    void operator()(FILE* file) const { std::fclose(file); }
};
struct KeyFree {
    void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct CertFree {
    void operator()(X509* cert) const { X509_free(cert); }
};
using UniqueFile = std::unique_ptr<FILE, FileCloser>;
using UniqueKey = std::unique_ptr<EVP_PKEY, KeyFree>;
using UniqueCert = std::unique_ptr<X509, CertFree>;

void add_extension(X509* cert, int nid, const std::string& value) {
    X509V3_CTX context;
    X509V3_set_ctx_nodb(&context);
    X509V3_set_ctx(&context, cert, cert, nullptr, nullptr, 0);
    X509_EXTENSION* extension = X509V3_EXT_conf_nid(nullptr, &context, nid, value.c_str());
    if (!extension) throw std::runtime_error("tls: cannot build certificate extension " + value);
    X509_add_ext(cert, extension, -1);
    X509_EXTENSION_free(extension);
}

}  // namespace

void generate_self_signed(const std::filesystem::path& cert_file, const std::filesystem::path& key_file) {
    UniqueKey key(EVP_EC_gen("P-256"));
    if (!key) throw std::runtime_error("tls: cannot generate a P-256 key");
    UniqueCert cert(X509_new());
    X509_set_version(cert.get(), 2);
    std::array<unsigned char, 16> serial{};
    FILE* urandom = std::fopen("/dev/urandom", "rb");
    if (urandom) {
        if (std::fread(serial.data(), 1, serial.size(), urandom) != serial.size()) serial[0] = 1;
        std::fclose(urandom);
    }
    serial[0] &= 0x7f;
    BIGNUM* number = BN_bin2bn(serial.data(), static_cast<int>(serial.size()), nullptr);
    BN_to_ASN1_INTEGER(number, X509_get_serialNumber(cert.get()));
    BN_free(number);
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), 60L * 60 * 24 * 825);
    X509_set_pubkey(cert.get(), key.get());
    std::array<char, 256> host{};
    gethostname(host.data(), host.size() - 1);
    X509_NAME* name = X509_get_subject_name(cert.get());
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("AI Lab self-signed"),
                               -1, -1, 0);
    X509_set_issuer_name(cert.get(), name);
    std::string alt = "DNS:localhost,IP:127.0.0.1,IP:::1";
    if (host[0] != '\0' && std::string(host.data()) != "localhost") alt += std::string(",DNS:") + host.data();
    add_extension(cert.get(), NID_subject_alt_name, alt);
    add_extension(cert.get(), NID_basic_constraints, "critical,CA:FALSE");
    add_extension(cert.get(), NID_ext_key_usage, "serverAuth");
    if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0)
        throw std::runtime_error("tls: cannot sign the certificate");

    std::filesystem::create_directories(key_file.parent_path());
    {
        // The key is readable by the owner only, from its first byte.
        auto old_mask = umask(077);
        UniqueFile out(std::fopen(key_file.c_str(), "wb"));
        umask(old_mask);
        if (!out || !PEM_write_PrivateKey(out.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr))
            throw std::runtime_error("tls: cannot write " + key_file.string());
    }
    UniqueFile out(std::fopen(cert_file.c_str(), "wb"));
    if (!out || !PEM_write_X509(out.get(), cert.get()))
        throw std::runtime_error("tls: cannot write " + cert_file.string());
}

std::string certificate_fingerprint(const std::filesystem::path& cert_file) {
    UniqueFile in(std::fopen(cert_file.c_str(), "rb"));
    if (!in) throw std::runtime_error("tls: cannot read " + cert_file.string());
    UniqueCert cert(PEM_read_X509(in.get(), nullptr, nullptr, nullptr));
    if (!cert) throw std::runtime_error("tls: " + cert_file.string() + " is not a PEM certificate");
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int size = 0;
    X509_digest(cert.get(), EVP_sha256(), digest.data(), &size);
    std::string text;
    static constexpr char hex[] = "0123456789ABCDEF";
    for (unsigned int i = 0; i < size; ++i) {
        if (i) text.push_back(':');
        text.push_back(hex[digest[i] >> 4]);
        text.push_back(hex[digest[i] & 15]);
    }
    return text;
}

TlsMaterial prepare_tls(const core::Config& config) {
    TlsMaterial material;
    if (config.tls.mode == core::TlsMode::files) {
        material.cert_file = config.tls.cert_file;
        material.key_file = config.tls.key_file;
    } else {
        material.cert_file = config.queue / "tls" / "cert.pem";
        material.key_file = config.queue / "tls" / "key.pem";
        if (!std::filesystem::exists(material.cert_file) || !std::filesystem::exists(material.key_file)) {
            generate_self_signed(material.cert_file, material.key_file);
            material.generated = true;
        }
    }
    material.fingerprint_sha256 = certificate_fingerprint(material.cert_file);
    return material;
}

}  // namespace ailab::net
