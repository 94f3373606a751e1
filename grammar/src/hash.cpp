#include "proxycfg/hash.hpp"

// nettle rather than OpenSSL: SHA-256 is all we need, and libcrypto's load and
// relocations cost every proxyctl run ~3 ms (a third of its start-up).
#include <nettle/sha2.h>

#include <array>
#include <cstdint>

namespace proxycfg {

std::string sha256_hex(std::string_view bytes) {
    std::array<std::uint8_t, SHA256_DIGEST_SIZE> digest{};
    sha256_ctx ctx{};
    sha256_init(&ctx);
    sha256_update(&ctx, bytes.size(), reinterpret_cast<const std::uint8_t*>(bytes.data()));
    sha256_digest(&ctx, digest.size(), digest.data());
    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    out.reserve(digest.size() * 2);
    for (std::size_t i = 0; i < digest.size(); ++i) {
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
