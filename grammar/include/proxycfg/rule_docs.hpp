// A rule's documentation, rendered from its row of the rule table: for a terminal
// (`proxyctl rules CODE`), as the Markdown pages in docs/rules/, and for SARIF's help.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "proxycfg/rules.hpp"

namespace proxycfg {

// The rule's published page: kRuleDocsBaseUrl + "PX204.md".
std::string rule_url(const RuleInfo& rule);

// An example configuration as it can be shown: every byte a terminal or a page would
// hide or garble (CR, NUL and other control bytes, a byte order mark, invalid UTF-8) is
// written as an escape such as \r, \0 or \xef.
std::string shown_example(std::string_view text);

// Title, explanation, examples, fix and page address, paragraphs wrapped at `width`.
std::string rule_text(const RuleInfo& rule, std::size_t width = 80);

// docs/rules/CODE.md. Without `page`, only the body (no title, no generated-by footer):
// SARIF's help.markdown.
std::string rule_markdown(const RuleInfo& rule, bool page = true);

// docs/rules/README.md: every rule by family, linked to its page.
std::string rules_index_markdown();

}  // namespace proxycfg
