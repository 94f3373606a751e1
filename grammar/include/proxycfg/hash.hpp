// Content hashes of configuration files: what proxyd loaded vs what is on disk now.
#pragma once

#include <string>
#include <string_view>

#include "proxycfg/ast.hpp"
#include "proxycfg/model.hpp"

namespace proxycfg {

// Lower-case hex SHA-256 of the bytes.
std::string sha256_hex(std::string_view bytes);

// Sets Model::files[i].content_hash from the bytes that were parsed (not re-read), so the
// hash is exactly that of the configuration the model came from. Not done by resolve()
// itself: `proxyctl check` has no use for it.
void fill_file_hashes(Model& model, const ParsedConfig& config);

}  // namespace proxycfg
