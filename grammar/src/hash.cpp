#include "proxycfg/hash.hpp"

#include <openssl/evp.h>

#include <array>
#include <memory>

namespace proxycfg {

std::string sha256_hex(std::string_view bytes) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int len = 0;
    EVP_Digest(bytes.data(), bytes.size(), digest.data(), &len, EVP_sha256(), nullptr);
    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    out.reserve(len * 2);
    for (unsigned int i = 0; i < len; ++i) {
        out.push_back(hex[digest[i] >> 4]);
        out.push_back(hex[digest[i] & 15]);
    }
    return out;
}

void fill_file_hashes(Model& model, const ParsedConfig& config) {
    for (std::size_t i = 0; i < model.files.size() && i < config.files.size(); ++i) {
        model.files[i].content_hash = sha256_hex(config.file(config.files[i].file).text);
    }
}

}  // namespace proxycfg
