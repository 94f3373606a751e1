#include "context.hpp"

namespace proxycfg::checks {

void check_dialect(Context& ctx) { (void)ctx; }

}  // namespace proxycfg::checks
