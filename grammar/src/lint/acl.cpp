// ACL logic and auth types (docs/language.md, "ACL fields" and "The access decision").
#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <unordered_map>
#include <utility>

#include "../acl_fields.hpp"
#include "../text_util.hpp"
#include "context.hpp"

namespace proxycfg::checks {
namespace {

bool only_iponly(const Service& s) {
    const auto& v = s.auth.value;
    return !v.empty() &&
           std::all_of(v.begin(), v.end(), [](AuthMethod m) { return m == AuthMethod::iponly; });
}

std::string auth_text(const Service& s) {
    std::string out = "auth";
    for (AuthMethod m : s.auth.value) out += " " + std::string(to_string(m));
    return out;
}

std::string where(const AclEntry& e) {
    return "line " + std::to_string(e.span().line);
}

// Index of the USERS field among a directive's arguments, or -1: redirect, the limits
// and the counters take their own values before the ACL fields.
int acl_field_offset(DirectiveId id) {
    using D = DirectiveId;
    switch (id) {
        case D::allow:
        case D::deny:
        case D::nobandlimin:
        case D::nobandlimout:
        case D::nocountin:
        case D::nocountout:
        case D::nocountall:
        case D::noconnlim:
            return 0;
        case D::bandlimin:
        case D::bandlimout:
            return 1;
        case D::redirect:
        case D::connlim:
            return 2;
        case D::countin:
        case D::countout:
        case D::countall:
            return 3;
        default:
            return -1;
    }
}

const Token* acl_field(const LexedDirective& d, int field) {
    int first = acl_field_offset(d.id);
    if (first < 0) return nullptr;
    auto index = static_cast<std::size_t>(first + field);
    return index < d.argc() ? &d.args()[index] : nullptr;
}

// The span of one comma-separated item of a token (at least one column wide).
SourceSpan item_span(const Token& t, std::size_t offset, std::size_t length) {
    return t.sub_span(offset, std::max<std::size_t>(length, 1));
}

// Calls f(item, offset) for each non-empty comma-separated item.
template <typename F>
void for_each_item(std::string_view text, F f) {
    for (std::string_view item : split_items(text, ','))
        if (!item.empty()) f(item, static_cast<std::size_t>(item.data() - text.data()));
}

// An entry with an unexpanded $file field: the resolver read that field as '*', so
// coverage claims about it would be guesses.
bool opaque(const Context& ctx, const AclEntry& e) {
    const Directive& line = ctx.directive(e.directive);
    if (!line.keeps_tokens()) return false;  // bare words: no '$'
    LexedDirective d(line);
    for (const auto& t : d.args())
        if (t.has_dollar && !t.from_file) return true;
    return false;
}

template <typename List, typename Covers>
bool list_covers(const List& outer, const List& inner, Covers covers) {
    using T = typename List::value_type;
    if (outer.empty()) return true;  // '*'
    if (inner.empty()) return false;
    return std::all_of(inner.begin(), inner.end(), [&](const T& i) {
        return std::any_of(outer.begin(), outer.end(), [&](const T& o) { return covers(o, i); });
    });
}

// Does every host that `inner` matches also match `outer`? (exact names, `*` prefix and suffix
// patterns)
bool pattern_covers(const HostPattern& outer, const HostPattern& inner) {
    using K = HostPattern::Kind;
    std::string_view o = outer.text;
    std::string_view i = inner.text;
    switch (outer.kind) {
        case K::exact:
            return inner.kind == K::exact && i == o;
        case K::suffix:
            if (inner.kind == K::exact) return outer.matches(i);
            return inner.kind == K::suffix && i.ends_with(o);
        case K::prefix:
            return (inner.kind == K::exact || inner.kind == K::prefix) && i.starts_with(o);
        case K::substring:
            return i.find(o) != std::string_view::npos;
    }
    return false;
}

bool targets_cover(const AclEntry& outer, const AclEntry& inner) {
    if (outer.any_target()) return true;
    if (inner.any_target()) return false;
    if (!inner.target_addresses().empty() &&
        !list_covers(outer.target_addresses(), inner.target_addresses(),
                     [](const IpRange& o, const IpRange& i) { return o.covers(i); }))
        return false;
    if (!inner.target_hosts().empty() &&
        (outer.target_hosts().empty() ||
         !list_covers(outer.target_hosts(), inner.target_hosts(), pattern_covers)))
        return false;
    if (!inner.target_addresses().empty() && outer.target_addresses().empty()) return false;
    return true;
}

// A bit for each of an entry's user names (all bits for any user): if `later`'s users are
// among `earlier`'s, later's bits are among earlier's. A quick no for covers().
std::uint64_t user_signature(const AclEntry& e) {
    auto names = e.users();
    if (names.empty()) return ~std::uint64_t{0};
    std::uint64_t bits = 0;
    for (std::string_view name : names) {
        std::uint64_t h = name.size();
        for (char c : name) h = (h ^ static_cast<unsigned char>(c)) * 0x100000001b3ULL;
        bits |= std::uint64_t{1} << (h >> 58);
    }
    return bits;
}

// Is every request `later` matches already decided by `earlier`?
bool covers(const AclEntry& earlier, const AclEntry& later) {
    // The entries' own fields first: the lists are read from their block, and the
    // shadowing check asks this of millions of pairs in a large file.
    if (earlier.operations != 0 &&
        (later.operations == 0 || (later.operations & ~earlier.operations) != 0))
        return false;
    if (earlier.weekdays != 0 && (later.weekdays == 0 || (later.weekdays & ~earlier.weekdays) != 0))
        return false;
    if (!list_covers(earlier.users(), later.users(),
                     [](std::string_view o, std::string_view i) { return o == i; }))
        return false;
    if (!list_covers(earlier.sources(), later.sources(),
                     [](const IpRange& o, const IpRange& i) { return o.covers(i); }))
        return false;
    if (!targets_cover(earlier, later)) return false;
    if (!list_covers(earlier.ports(), later.ports(),
                     [](const PortRange& o, const PortRange& i) { return o.covers(i); }))
        return false;
    if (!list_covers(earlier.periods(), later.periods(),
                     [](const TimePeriod& o, const TimePeriod& i) {
                         return o.from <= i.from && i.to <= o.to;
                     }))
        return false;
    // 3proxy skips an entry with a parent for SOCKS BIND/UDPASSOC (docs/language.md, "The access
    // decision").
    if (!earlier.parents.empty()) {
        constexpr std::uint32_t skipped = op::BIND | op::UDPASSOC | op::ICMPASSOC;
        if (later.operations == 0 || (later.operations & skipped) != 0) return false;
    }
    return true;
}

// Directives already reported by a rule: each ACL line is reported once, however many
// services share it.
class DirectiveSet {
  public:
    explicit DirectiveSet(const Context& ctx) : flags_(ctx.cfg.directives.size()) {}
    bool insert(std::uint32_t d) { return !std::exchange(flags_.at(d), char{1}); }
    bool count(std::uint32_t d) const { return flags_.at(d) != 0; }

  private:
    std::vector<char> flags_;
};

bool is_catch_all(const AclEntry& e) {
    return e.matches_everything() && e.parents.empty();
}

std::string describe_entry(const Context& ctx, const AclEntry& e) {
    LexedDirective d(ctx.directive(e.directive));
    std::string s(d.name());
    for (const auto& t : d.args()) s += " " + printable(t.text());
    if (s.size() > 60) s = s.substr(0, 57) + "...";
    return s;
}

// One ACL segment as the largest prefix any service sees: the unit of the ACL rules, so a
// segment shared by many services is analysed once.
struct Segment {
    std::span<const AclEntry> entries;
};

std::vector<Segment> segments(const Model& model) {
    std::unordered_map<const void*, std::size_t> index;
    index.reserve(model.services.size());
    std::vector<Segment> out;
    const void* last = nullptr;  // services between two flushes share one: the usual case
    std::size_t last_at = 0;
    for (const auto& s : model.services) {
        if (s.acl.empty()) continue;
        if (s.acl.segment.get() != last) {
            auto [it, inserted] = index.emplace(s.acl.segment.get(), out.size());
            if (inserted) out.push_back({s.acl.entries()});
            last = s.acl.segment.get();
            last_at = it->second;
        }
        Segment& seg = out[last_at];
        if (s.acl.count > seg.entries.size()) seg.entries = s.acl.entries();
    }
    return out;
}

// "bbo" for "bob": one typo, though edit_distance counts two.
bool swapped_pair(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    std::size_t i = 0;
    while (i < a.size() && a[i] == b[i]) ++i;
    return i + 1 < a.size() && a[i] == b[i + 1] && a[i + 1] == b[i] &&
           a.substr(i + 2) == b.substr(i + 2);
}

void check_users_under_iponly(Context& ctx) {
    DirectiveSet seen(ctx);
    for (const auto& s : ctx.model.services) {
        if (!only_iponly(s)) continue;
        for (const auto& e : s.acl.entries()) {
            if (matches_without_username(e)) continue;
            if (opaque(ctx, e) || !seen.insert(e.directive)) continue;
            auto& d = ctx.report(Rule::PX209, e.span(),
                                 "ACL entry names users but " + std::string(s.label) +
                                     " uses auth iponly, which hides the username: the entry "
                                     "never matches");
            note_auth_origin(d, s, "auth iponly set here",
                             "no auth line before this service: 3proxy's default is iponly");
        }
    }
}

void check_auth_types(Context& ctx) {
    std::set<std::pair<std::uint32_t, std::uint32_t>> none_seen, useronly_seen, cache_seen;
    for (const auto& s : ctx.model.services) {
        SourceSpan at = s.auth_origin();
        const auto& methods = s.auth.value;
        if (s.uses(AuthMethod::none) && !s.acl.empty() &&
            none_seen.insert({at.file, at.line}).second) {
            bool first = methods.front() == AuthMethod::none;
            std::string msg = first ? "auth none: the ACL of " + std::string(s.label) + " (" +
                                          std::to_string(s.acl.count) + " entr" +
                                          (s.acl.count == 1 ? "y" : "ies") +
                                          ") is ignored, every client is allowed"
                                    : "'none' in '" + auth_text(s) +
                                          "' lets every request that fails the "
                                          "earlier types through with no ACL check on " +
                                          std::string(s.label);
            auto& d = ctx.report(Rule::PX210, at, msg);
            auto entries = s.acl.entries();
            auto deny = std::find_if(entries.begin(), entries.end(),
                                     [](const AclEntry& e) { return e.action == AclAction::deny; });
            const AclEntry& dead = deny != entries.end() ? *deny : entries.front();
            d.notes.push_back({dead.span(), "this " + std::string(to_string(dead.action)) +
                                                " has no effect on " + std::string(s.label)});
        }
        if (s.uses(AuthMethod::useronly) && useronly_seen.insert({at.file, at.line}).second) {
            ctx.report(Rule::PX212, at,
                       "auth useronly accepts any username without checking a password (" +
                           std::string(s.label) + ")");
        }
        // proxyd drops such logins at a reload (PX508 there); the defect is 3proxy's.
        if (ctx.three_proxy() && s.uses(AuthMethod::cache) &&
            cache_seen.insert({at.file, at.line}).second) {
            ctx.report(Rule::PX217, at,
                       "auth cache: a user removed from 'users' keeps working after a reload "
                       "until the cached login expires (authcache time, 600 s by default), "
                       "even on force services");
        }
    }
}

}  // namespace

// Users exist (or auth needs them), so a name that is not among them is a mistake.
void check_acl_users(Context& ctx) {
    bool users_matter = !ctx.model.users.empty();
    for (const auto& s : ctx.model.services)
        if (s.uses(AuthMethod::strong) || s.uses(AuthMethod::cache)) users_matter = true;
    if (!users_matter) return;
    if (has_unexpanded_user_file(ctx)) return;
    DirectiveSet seen(ctx);
    std::vector<const User*> known_users;  // for suggestions, built at the first unknown name
    // The nearest known name, per unknown name: a name used on many lines is compared with
    // every user once, not once per line.
    std::unordered_map<std::string, std::optional<std::string>> nearest;
    auto suggest = [&](std::string_view name) {
        auto [it, fresh] = nearest.try_emplace(std::string(name));
        if (!fresh) return it->second;
        std::size_t best = 3;
        if (known_users.empty()) known_users = ctx.model.effective_users();
        const std::string lower = to_lower(name);
        for (const User* user : known_users) {
            std::string_view known = user->name();
            if (known.size() == name.size() && to_lower(known) == lower) {
                it->second = known;
                break;
            }
            std::size_t dist = swapped_pair(name, known) ? 1 : edit_distance(name, known, best);
            if (dist < best && dist * 3 <= known.size()) {
                best = dist;
                it->second = known;
            }
        }
        return it->second;
    };
    auto unknown = [&](const Token& t, std::string_view name, std::size_t offset) {
        std::string msg = "ACL names user '" + printable(name) + "', which is not defined";
        std::optional<std::string> suggestion = suggest(name);
        SourceSpan span = item_span(t, offset, name.size());
        if (parse_ip_range(name)) {
            msg +=
                "; the first ACL field is USERS, the source address comes second "
                "(allow * " +
                printable(name) + ")";
            suggestion.reset();
        }
        if (suggestion) msg += "; did you mean '" + printable(*suggestion) + "'?";
        if (suggestion && to_lower(*suggestion) == to_lower(name))
            msg += " (user names are case-sensitive)";
        auto& diag = ctx.report(Rule::PX202, span, msg);
        // Unsafe: another user name changes who the entry matches.
        if (suggestion && t.verbatim())
            diag.fixits.push_back(
                {span, *suggestion, "replace with '" + printable(*suggestion) + "'", true});
    };
    // Names are looked up in batches (UserTable::find_many): with hundreds of thousands of
    // users nearly every lookup misses the cache, and a batch overlaps the misses. They come
    // from the model's entries; only a name that is not found needs its line's tokens.
    struct Item {
        std::uint32_t directive;
        std::uint32_t nth;  // among the names of the entry's user list
    };
    std::vector<Item> items;
    std::vector<std::string_view> names;
    std::vector<std::uint32_t> found;
    auto report_unknown = [&](const Item& item, std::string_view name) {
        LexedDirective d(ctx.directive(item.directive));
        const Token* t = acl_field(d, 0);
        if (!t) return;
        std::uint32_t nth = 0;
        for_each_item(t->text(), [&](std::string_view, std::size_t offset) {
            if (nth++ == item.nth) unknown(*t, name, offset);
        });
    };
    auto flush = [&] {
        found.resize(names.size());
        ctx.model.users.find_many(ctx.model.user_definitions, names, found);
        for (std::size_t i = 0; i < names.size(); ++i)
            if (found[i] == UserTable::npos) report_unknown(items[i], names[i]);
        items.clear();
        names.clear();
    };
    constexpr std::size_t kBatch = 256;
    for (const auto& s : ctx.model.services) {
        for (const auto& e : s.acl.entries()) {
            if (e.users().empty() || !seen.insert(e.directive)) continue;
            const Directive& line = ctx.directive(e.directive);
            if (line.keeps_tokens()) {  // an unexpanded $file reads as '*'
                LexedDirective d(line);
                const Token* t = acl_field(d, 0);
                if (!t || (t->has_dollar && !t->from_file)) continue;
            }
            // The list holds the field's non-empty items in order, as for_each_item gives them.
            std::uint32_t nth = 0;
            for (std::string_view name : e.users()) {
                if (name != "*" && name != "-") {
                    items.push_back({e.directive, nth});
                    names.push_back(name);
                }
                ++nth;
            }
            if (names.size() >= kBatch) flush();
        }
    }
    flush();
}

void check_acl_shadowing(Context& ctx) {
    DirectiveSet reported(ctx);
    // Pairwise comparison is quadratic in a segment's length, so one segment may compare
    // at most kPairsPerSegment pairs (all of them up to about 450 entries), and the file
    // at most kPairs: a million-line file of short segments is compared in full, a
    // pathological one stays fast.
    constexpr std::size_t kPairsPerSegment = 100'000;
    constexpr std::size_t kPairs = 50'000'000;
    std::size_t file_budget = kPairs;
    for (const auto& seg : segments(ctx.model)) {
        if (file_budget == 0) break;
        std::size_t budget = std::min(kPairsPerSegment, file_budget);
        const std::size_t segment_budget = budget;
        auto entries = seg.entries;
        std::vector<bool> skip(entries.size());
        for (std::size_t i = 0; i < entries.size(); ++i) skip[i] = opaque(ctx, entries[i]);
        std::vector<std::uint64_t> users(entries.size());
        for (std::size_t i = 0; i < entries.size(); ++i) users[i] = user_signature(entries[i]);

        std::size_t catch_all = entries.size();
        for (std::size_t i = 0; i < entries.size(); ++i) {
            if (!skip[i] && is_catch_all(entries[i])) {
                catch_all = i;
                break;
            }
        }
        if (catch_all + 1 < entries.size()) {
            const AclEntry& c = entries[catch_all];
            const AclEntry& dead = entries[catch_all + 1];
            std::size_t count = entries.size() - catch_all - 1;
            if (reported.insert(dead.directive)) {
                auto& d = ctx.report(Rule::PX205, dead.span(),
                                     std::to_string(count) + " ACL entr" +
                                         (count == 1 ? "y" : "ies") + " after the catch-all '" +
                                         describe_entry(ctx, c) + "' on " + where(c) +
                                         " can never match (the first matching entry decides)");
                d.notes.push_back({c.span(), "this entry matches every request"});
            }
            for (std::size_t j = catch_all + 2; j < entries.size(); ++j)
                reported.insert(entries[j].directive);
        }

        // Earlier entries that can cover a given entry: those naming any user, and those
        // naming its first user (an entry with a user list is covered only by a superset).
        // Small ACLs (the usual case) just compare with every earlier entry.
        bool small = entries.size() <= 64;
        std::vector<std::size_t> any_user, named_user;
        std::unordered_map<std::string_view, std::vector<std::size_t>> by_user;
        for (std::size_t j = 0; j < catch_all && budget > 0; ++j) {
            const AclEntry& later = entries[j];
            auto first_cover = [&](const std::vector<std::size_t>& candidates) {
                std::optional<std::size_t> found;
                for (std::size_t i : candidates) {
                    if (budget == 0) break;
                    --budget;
                    // Most pairs differ in a user the earlier entry does not name.
                    if ((users[j] & ~users[i]) != 0) continue;
                    if (covers(entries[i], later)) {
                        found = i;
                        break;
                    }
                }
                return found;
            };
            if (!skip[j] && !reported.count(later.directive)) {
                std::optional<std::size_t> by = first_cover(any_user);
                if (!by && !later.users().empty() && small) {
                    by = first_cover(named_user);
                } else if (!by && !later.users().empty()) {
                    if (auto it = by_user.find(later.users().front()); it != by_user.end())
                        by = first_cover(it->second);
                }
                if (by) {
                    const AclEntry& e = entries[*by];
                    reported.insert(later.directive);
                    bool same = e.action == later.action ||
                                (e.action != AclAction::deny && later.action != AclAction::deny);
                    auto& d = ctx.report(Rule::PX204, later.span(),
                                         "ACL entry can never match: '" + describe_entry(ctx, e) +
                                             "' on " + where(e) +
                                             " matches every request this one would" +
                                             (same ? "" : ", and decides the opposite"));
                    d.notes.push_back({e.span(), "the broader entry that decides first"});
                }
            }
            // A dead entry covers nothing the entry that kills it does not cover already.
            if (skip[j] || reported.count(later.directive)) continue;
            if (later.users().empty()) {
                any_user.push_back(j);
            } else if (small) {
                named_user.push_back(j);
            } else {
                for (const auto& u : later.users()) {
                    auto& list = by_user[u];
                    if (list.empty() || list.back() != j) list.push_back(j);
                }
            }
        }
        file_budget -= segment_budget - budget;
    }
}

void check_acl_auth(Context& ctx) {
    check_users_under_iponly(ctx);
    check_auth_types(ctx);
}

// Field syntax that parses but does not mean what it looks like (docs/language.md, "ACL fields").
void check_acl_field_forms(Context& ctx) {
    // The lines the services' entries came from, when the resolver found nothing of these
    // forms in them (AclEntry::unusual_forms): most of a large file's ACL lines are not
    // split again. Lines without an entry (refused, after the last service, counters and
    // limits) are read here.
    std::vector<bool> plain(ctx.cfg.directives.size());
    for (const auto& seg : segments(ctx.model))
        for (const AclEntry& e : seg.entries)
            if (e.directive < plain.size() && !e.unusual_forms()) plain[e.directive] = true;
    for (const auto& line : ctx.cfg.directives) {
        if (plain[line.index] || !line.well_formed || acl_field_offset(line.id) < 0) continue;
        LexedDirective d(line);
        for (int field = 1; field <= 2; ++field) {
            const Token* t = acl_field(d, field);
            if (!t || (t->has_dollar && !t->from_file) || t->text() == "*") continue;
            for_each_item(t->text(), [&](std::string_view item, std::size_t offset) {
                if (item.find('/') != std::string_view::npos) {
                    auto r = parse_ip_range(item);
                    if (!r || !r->host_bits_set) return;
                    std::string fixed =
                        r->first.to_string() + std::string(item.substr(item.find('/')));
                    SourceSpan span = item_span(*t, offset, item.size());
                    auto& diag =
                        ctx.report(Rule::PX214, span,
                                   "'" + printable(item) +
                                       "' has host bits set: 3proxy masks them and uses " + fixed);
                    // Safe: 3proxy masks the host bits, so it reads the same network.
                    if (t->verbatim())
                        diag.fixits.push_back({span, fixed, "write the network address"});
                    return;
                }
                if (field != 2 || !bare_suffix_pattern(item) || parse_ip_range(item)) return;
                std::string_view domain = item.substr(1);
                std::string fixed = std::string(domain) + ",*." + std::string(domain);
                SourceSpan span = item_span(*t, offset, item.size());
                auto& diag =
                    ctx.report(Rule::PX213, span,
                               "'" + printable(item) + "' does not match " + printable(domain) +
                                   " itself, and matches any name ending in it (such as www" +
                                   printable(domain) + "); write " + printable(fixed));
                // Unsafe: the entry then matches other names than before.
                if (t->verbatim())
                    diag.fixits.push_back(
                        {span, fixed, "match the domain and its subdomains", true});
            });
        }
    }
}

}  // namespace proxycfg::checks
