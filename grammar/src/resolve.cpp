// Replays the directives with 3proxy's positional semantics (docs/language.md, "Positional state"):
// snapshot directives update the running state, and each service line copies it.
#include "proxycfg/resolve.hpp"

#include <algorithm>
#include <cctype>
#include <future>
#include <memory_resource>
#include <string>
#include <unordered_set>

#include "acl_line.hpp"
#include "acl_read_ahead.hpp"
#include "evict_behind.hpp"
#include "proxycfg/directives.hpp"
#include "proxycfg/rules.hpp"
#include "proxycfg/util.hpp"
#include "text_util.hpp"

namespace proxycfg {
namespace {

// Below this many user definitions a second thread costs more than it saves.
constexpr std::size_t kParallelUsers = 20000;
// The same for allow and deny lines read ahead (acl_read_ahead.hpp).
constexpr std::size_t kReadAheadAclLines = 20000;

// Where ACL entries take their lists from: the replay and the read-ahead thread (which
// reads most allow and deny lines of a large file) each have a pool of their own.
struct ListPools {
    TextPool replay;
    TextPool ahead;
};

// A segment's entries with the pools their lists are in: services reach the entries
// through an aliasing pointer, which keeps the pool alive while any of them lives.
struct SegmentStore {
    std::shared_ptr<ListPools> lists;  // declared first, so destroyed after the entries
    AclSegment segment;
};

class Resolver {
  public:
    Resolver(const ParsedConfig& cfg, Diagnostics& diags, bool keep_refused)
        : cfg_(cfg), diags_(diags), keep_refused_(keep_refused) {
        auth_.value = {AuthMethod::iponly};  // 3proxy's real default; its manual says none
        maxconn_.value = 100;
        new_segment(0);
    }

    Model run() {
        std::size_t user_count = 0, service_count = 0;
        for (const auto& d : cfg_.directives) {
            if (d.id == DirectiveId::users) user_count += d.argc();
            if (d.id != DirectiveId::unknown && directive_info(d.id).scope == Scope::service)
                ++service_count;
        }
        model_.users.reserve(user_count);
        model_.user_definitions.reserve(user_count);
        model_.services.reserve(service_count);
        labels_.reserve(service_count);
        // Users are global and read nothing else, so a long list is built on a second
        // thread while the services are resolved; users() writes only the user tables
        // (user_definitions, user_text, users), which nothing else reads or writes before
        // the thread is joined.
        auto all_users = [this] {
            for (const auto& d : cfg_.directives)
                if (d.well_formed && d.id == DirectiveId::users) define_users(LexedDirective(d));
            auto count = static_cast<std::uint32_t>(model_.user_definitions.size());
            model_.users.assign_range(model_.user_definitions, 0, count);
        };
        std::future<void> parallel;
        if (user_count >= kParallelUsers) parallel = std::async(std::launch::async, all_users);
        AclReadAhead ahead(cfg_, kReadAheadAclLines, lists_->ahead);
        AclReadAhead::Result read;
        EvictBehind evict(cfg_);
        for (const auto& d : cfg_.directives) {
            evict.passed(d);
            if (!d.well_formed) continue;
            if (parallel.valid() && d.id == DirectiveId::users) continue;
            if (ahead.active() && AclReadAhead::reads(d) && ahead.take(d.index, read)) {
                acl_entry(d, read);
                continue;
            }
            apply(LexedDirective(d));
        }
        if (parallel.valid()) parallel.get();
        evict.rest();
        for (const auto& f : cfg_.files) {
            const SourceFile& sf = cfg_.file(f.file);
            model_.files.push_back({sf.path, {}, sf.mtime_ns, sf.text.size()});
        }
        return std::move(model_);
    }

  private:
    const ParsedConfig& cfg_;
    Diagnostics& diags_;
    bool keep_refused_;
    Model model_;
    bool nscache_seen_ = false;  // an nscache or nscache6 line came before

    // Running state that service lines snapshot.
    Setting<AuthChain> auth_;
    // The pools for the lists of every segment (one for the replay, one for the
    // read-ahead): per segment, a small configuration's many short segments would each
    // hold a partly used block.
    std::shared_ptr<ListPools> lists_ = std::make_shared<ListPools>();
    std::shared_ptr<AclSegment> segment_;
    std::size_t snapshotted_ = 0;  // entries of segment_ already captured by a service
    Setting<int> maxconn_;
    Setting<std::string> internal_;
    SharedSettings shared_;
    std::shared_ptr<const SharedSettings> shared_snapshot_;  // shared_ as services share it
    // shared_, to be changed: the next service gets a snapshot of its own.
    SharedSettings& change_shared() {
        shared_snapshot_.reset();
        return shared_;
    }
    // Service labels in use, to make them unique: the indices of the services that hold
    // them, looked up by label, so no label is copied. From a monotonic arena: freeing
    // tens of thousands of nodes one by one was a visible share of resolving a large file.
    struct LabelOf {
        using is_transparent = void;
        const std::vector<Service>* services;
        std::string_view operator()(std::string_view label) const { return label; }
        std::string_view operator()(std::uint32_t index) const { return (*services)[index].label; }
    };
    struct LabelHash : LabelOf {
        std::size_t operator()(auto key) const {
            return std::hash<std::string_view>{}(LabelOf::operator()(key));
        }
    };
    struct SameLabel : LabelOf {
        bool operator()(auto a, auto b) const {
            return LabelOf::operator()(a) == LabelOf::operator()(b);
        }
    };
    std::pmr::monotonic_buffer_resource labels_memory_;
    std::pmr::unordered_set<std::uint32_t, LabelHash, SameLabel> labels_{
        0, LabelHash{{&model_.services}}, SameLabel{{&model_.services}}, &labels_memory_};

    void report(Rule rule, SourceSpan span, std::string message, std::vector<FixIt> fixits = {}) {
        report(rule, rule_info(rule).severity, span, std::move(message), std::move(fixits));
    }
    void report(Rule rule, Severity severity, SourceSpan span, std::string message,
                std::vector<FixIt> fixits = {}) {
        Diagnostic d = make_diagnostic(rule, severity, span, std::move(message));
        d.fixits = std::move(fixits);
        diags_.push_back(std::move(d));
    }

    // An empty segment whose entries can take their lists from lists_.
    std::shared_ptr<AclSegment> make_segment() {
        auto store = std::make_shared<SegmentStore>();
        store->lists = lists_;
        return {store, &store->segment};
    }

    // Sized for the ACL lines up to the next flush (directive `from` on): grown entry by
    // entry, a segment copies its entries on every reallocation and keeps up to half its
    // capacity unused.
    void new_segment(std::size_t from) {
        segment_ = make_segment();
        snapshotted_ = 0;
        std::size_t entries = 0;
        for (std::size_t i = from; i < cfg_.directives.size(); ++i) {
            DirectiveId id = cfg_.directives[i].id;
            if (id == DirectiveId::flush) break;
            if (id == DirectiveId::allow || id == DirectiveId::deny || id == DirectiveId::redirect)
                ++entries;
        }
        segment_->entries.reserve(entries);
    }

    // The last ACL entry, copied first if a service already captured it (3proxy copies
    // the list into each service, so later modifiers must not reach earlier services).
    AclEntry* last_entry_for_update() {
        if (segment_->entries.empty()) return nullptr;
        if (snapshotted_ == segment_->entries.size()) {
            auto copy = make_segment();
            *copy = *segment_;
            segment_ = std::move(copy);
            snapshotted_ = 0;
        }
        return &segment_->entries.back();
    }

    // "Store one value" directives (nginx's conf_set_*_slot): the first argument, or true,
    // with the line that set it.
    static void set_text(Setting<std::string>& setting, const LexedDirective& d) {
        setting = {std::string(d.args()[0].text()), d.span};
    }
    static void add_text(std::vector<Setting<std::string>>& list, const LexedDirective& d) {
        list.push_back({std::string(d.args()[0].text()), d.span});
    }
    static void set_flag(Setting<bool>& setting, const LexedDirective& d) {
        setting = {true, d.span};
    }

    void apply(const LexedDirective& d) {
        using D = DirectiveId;
        if (d.id == D::unknown) return;
        if (directive_info(d.id).scope == Scope::service) return service(d);
        auto& globals = model_.globals;
        switch (d.id) {
            case D::allow:
                return acl_entry(d, AclAction::allow, 0);
            case D::deny:
                return acl_entry(d, AclAction::deny, 0);
            case D::redirect:
                return redirect(d);
            case D::parent:
                return parent(d);
            case D::nolog:
            case D::weight:
                return modifier(d);
            case D::flush:
                new_segment(d.index + 1);
                segment_->flush = d.span;
                return;
            case D::auth:
                return auth(d);
            case D::users:
                return users(d);
            case D::maxconn:
                return maxconn(d);
            case D::force:
            case D::noforce:
                change_shared().force = {d.id == D::force, d.span};
                return;
            case D::writable:
                change_shared().writable = {true, d.span};
                return;
            case D::internal:
                return set_text(internal_, d);
            case D::external:
                return external(d);
            case D::log:
                return log(d);
            case D::logformat:
                change_shared().log.format = std::string(d.args()[0].text());
                shared_.log.format_span = d.span;
                return set_text(globals.logformat, d);
            case D::timeouts:
                return timeouts(d);
            case D::authcache:
                return authcache(d);
            case D::nserver:
                return add_text(globals.nservers, d);
            case D::pidfile:
                return set_text(globals.pidfile, d);
            case D::monitor:
                return add_text(globals.monitor_files, d);
            case D::daemon:
                return set_flag(globals.daemon, d);
            case D::fakeresolve:
                return set_flag(globals.fakeresolve, d);
            case D::delimchar:
                return set_text(globals.delimchar, d);
            case D::parentretries:
                return parentretries(d);
            case D::setuid:
            case D::setgid:
                return account(d);
            case D::chroot:
                return chroot(d);
            case D::config:
                return set_text(globals.config_path, d);
            case D::system:
                return add_text(globals.system_commands, d);
            case D::nscache:
            case D::nscache6:
                return nscache(d);
            case D::nsrecord:
                return nsrecord(d);
            case D::bandlimin:
            case D::bandlimout:
            case D::nobandlimin:
            case D::nobandlimout:
                return bandlimit(d);
            case D::counter:
                return counter_file(d);
            case D::countin:
            case D::countout:
            case D::countall:
            case D::nocountin:
            case D::nocountout:
            case D::nocountall:
                return traffic_counter(d);
            case D::connlim:
            case D::noconnlim:
                return connlim(d);
            default:
                return;  // read by the lint rules only, or not modelled
        }
    }

    void maxconn(const LexedDirective& d) {
        const Token& t = d.args()[0];
        long long n = 0;
        if (!parse_int(t.text(), n) || n <= 0 || n > 1000000000) {
            report(Rule::PX216, t.span(),
                   "maxconn '" + printable(t.text()) +
                       "' must be a positive number (3proxy: 0 is an error, a negative value "
                       "makes a service that never accepts)");
            return;
        }
        maxconn_ = {static_cast<int>(n), d.span};
    }

    void parentretries(const LexedDirective& d) {
        const Token& t = d.args()[0];
        long long n = 0;
        if (!parse_int(t.text(), n) || n <= 0 || n > 100) {
            report(Rule::PX021, t.span(),
                   "parentretries '" + printable(t.text()) + "' must be a number from 1 to 100");
            return;
        }
        model_.globals.parentretries = {static_cast<int>(n), d.span};
    }

    void external(const LexedDirective& d) {
        const Token& t = d.args()[0];
        auto ip = IpAddress::parse(t.text());
        if (!ip && !(t.has_dollar && !t.from_file)) {
            report(Rule::PX021, t.span(),
                   "external needs an IP address, not '" + printable(t.text()) +
                       "' (3proxy refuses a name that does not resolve)");
            return;
        }
        set_text(ip && ip->family == IpAddress::Family::v6 ? change_shared().external_v6
                                                           : change_shared().external_v4,
                 d);
    }

    // setuid/setgid take a number or a user/group name.
    void account(const LexedDirective& d) {
        const Token& t = d.args()[0];
        if (t.has_dollar && !t.from_file) return;
        bool user = d.id == DirectiveId::setuid;
        auto& setting = user ? model_.globals.setuid : model_.globals.setgid;
        if (account_ok(d, t, user)) setting = {std::string(t.text()), d.span};
    }

    // Whether `t` names a user (or group) by name or by a number other than 0.
    bool account_ok(const LexedDirective& d, const Token& t, bool user) {
        std::string_view v = t.text();
        long long n = 0;
        if (parse_int(v, n)) {
            if (n > 0) return true;
            report(Rule::PX021, t.span(),
                   std::string(d.name()) + " " + std::string(v) +
                       ": 0 (root) or a negative id is refused by 3proxy");
            return false;
        }
        bool name_ok =
            !v.empty() && (std::isalpha(static_cast<unsigned char>(v[0])) || v[0] == '_');
        for (char c : v) {
            auto u = static_cast<unsigned char>(c);
            if (!(std::isalnum(u) || c == '_' || c == '.' || c == '-')) name_ok = false;
        }
        if (!name_ok)
            report(
                Rule::PX021, t.span(),
                "'" + printable(v) + "' is not a " + (user ? "user" : "group") + " name or number");
        return name_ok;
    }

    // `chroot DIR [USER [GROUP]]`: only the first line counts, as in 3proxy.
    void chroot(const LexedDirective& d) {
        if (model_.globals.chroot.span.valid()) return;
        auto args = d.args();
        for (const auto& t : args)
            if (t.has_dollar && !t.from_file) return;
        Globals::Chroot c;
        c.dir = std::string(args[0].text());
        if (args.size() > 1) {
            if (!account_ok(d, args[1], true)) return;
            c.user = std::string(args[1].text());
        }
        if (args.size() > 2) {
            if (!account_ok(d, args[2], false)) return;
            c.group = std::string(args[2].text());
        }
        model_.globals.chroot = {std::move(c), d.span};
    }

    // Parses the ACL fields starting at args[first]; false, reported, if a field is
    // invalid (3proxy refuses the whole line).
    bool acl_fields(const LexedDirective& d, std::size_t first, AclEntry& e,
                    TextPool* pool = nullptr) {
        auto error = read_acl_fields(d, first, e, pool);
        if (error) report(error->rule, error->span, std::move(error->message));
        return !error;
    }

    void acl_entry(const LexedDirective& d, AclAction action, std::size_t first) {
        AclEntry e;
        e.action = action;
        e.set_span(d.span);
        e.directive = d.index;
        if (!acl_fields(d, first, e, &lists_->replay)) return;
        segment_->entries.push_back(std::move(e));
    }

    // An allow or deny line the read-ahead has read.
    void acl_entry(const Directive& d, AclReadAhead::Result& read) {
        if (read.error) {
            report(read.error->rule, read.error->span, std::move(read.error->message));
            return;
        }
        AclEntry& e = read.entry;
        e.action = d.id == DirectiveId::allow ? AclAction::allow : AclAction::deny;
        e.set_span(d.span);
        e.directive = d.index;
        segment_->entries.push_back(std::move(e));
    }

    void redirect(const LexedDirective& d) {
        auto args = d.args();
        AclEntry e;
        e.action = AclAction::redirect;
        e.set_span(d.span);
        e.directive = d.index;
        long long port = 0;
        if (!parse_int(args[1].text(), port) || port < 0 || port > 65535) {
            report(Rule::PX005, args[1].span(),
                   "redirect port '" + printable(args[1].text()) + "' is not a port");
            return;
        }
        if (!acl_fields(d, 2, e, &lists_->replay)) return;
        Parent p;
        p.type = "http";
        p.host = std::string(args[0].text());
        p.port = static_cast<std::uint16_t>(port);
        p.span = d.span;
        e.parents.push_back(std::move(p));
        segment_->entries.push_back(std::move(e));
    }

    void counter_file(const LexedDirective& d) {
        auto args = d.args();
        CounterFile f;
        f.path = std::string(args[0].text());
        // 3proxy reads TYPE and REPORT only as a pair.
        if (args.size() == 3) {
            f.report_period = counter_period_from(args[1].text().empty() ? 'N' : args[1].text()[0]);
            f.report = std::string(args[2].text());
        }
        model_.globals.counter_file = {std::move(f), d.span};
    }

    void traffic_counter(const LexedDirective& d) {
        std::string_view n = d.name();
        auto args = d.args();
        TrafficCounter c;
        c.exception = n.starts_with("no");
        c.kind = n.ends_with("in")    ? TrafficCounter::Kind::in
                 : n.ends_with("out") ? TrafficCounter::Kind::out
                                      : TrafficCounter::Kind::all;
        std::size_t first = c.exception ? 0 : 3;
        if (!c.exception) {
            std::string_view number = args[0].text();
            if (auto slash = number.find('/'); slash != std::string_view::npos) {
                c.comment = std::string(number.substr(slash + 1));
                number = number.substr(0, slash);
            }
            long long slot = 0;
            if (!parse_int(number, slot) || slot < 0 || slot > UINT32_MAX) {
                report(Rule::PX021, args[0].span(),
                       std::string(n) + " N '" + printable(args[0].text()) +
                           "' must be a counter number, optionally with /COMMENT");
                return;
            }
            c.number = static_cast<std::uint32_t>(slot);
            std::string_view type = args[1].text();
            c.period = counter_period_from(type.empty() ? 'N' : type[0]);
            long long mib = 0;
            // 3proxy: "Wrong traffic limit specified" for 0 or a non-number.
            if (!parse_int(args[2].text(), mib) || mib <= 0 || mib > (1LL << 43)) {
                report(Rule::PX021, args[2].span(),
                       std::string(n) + " LIMIT '" + printable(args[2].text()) +
                           "' must be a positive number of MiB (3proxy refuses the line)");
                return;
            }
            c.limit = static_cast<std::uint64_t>(mib) * 1024 * 1024;
        }
        if (!acl_fields(d, first, c.acl)) return;
        c.acl.set_span(d.span);
        c.acl.directive = d.index;
        for (std::size_t i = first; i < args.size(); ++i) {
            if (!c.acl_text.empty()) c.acl_text += ' ';
            c.acl_text += args[i].text();
        }
        c.key = std::string(c.exception ? "no" : "") + std::string(to_string(c.kind));
        if (!c.exception) {
            c.key += " " + std::to_string(c.number) + " " +
                     std::string(to_string(c.period));
        }
        if (!c.acl_text.empty()) c.key += " " + c.acl_text;
        c.key = numbered_key(std::move(c.key), model_.globals.counters);
        model_.globals.counters.push_back(std::move(c));
    }

    // Lines of a limit list that read the same are separate budgets or counts, as in
    // 3proxy: the second `connlim 5 0 *` is keyed "connlim 5 0 *#1".
    template <typename Lines>
    static std::string numbered_key(std::string key, const Lines& earlier) {
        auto same = std::count_if(earlier.begin(), earlier.end(), [&](const auto& l) {
            return l.key.starts_with(key) &&
                   (l.key.size() == key.size() || l.key[key.size()] == '#');
        });
        if (same > 0) key += "#" + std::to_string(same);
        return key;
    }

    void connlim(const LexedDirective& d) {
        auto args = d.args();
        ConnLimit limit;
        limit.exception = d.id == DirectiveId::noconnlim;
        std::size_t first = limit.exception ? 0 : 2;
        if (!limit.exception) {
            long long rate = 0, period = 0;
            for (std::size_t i = 0; i < 2; ++i) {
                long long& out = i == 0 ? rate : period;
                if (!parse_int(args[i].text(), out) || out < 0 || out > UINT32_MAX) {
                    report(Rule::PX021, args[i].span(),
                           std::string("connlim ") + (i == 0 ? "RATE" : "PERIOD") + " '" +
                               printable(args[i].text()) + "' must be a number of " +
                               (i == 0 ? "connections" : "seconds"));
                    return;
                }
            }
            limit.rate = static_cast<std::uint32_t>(rate);
            limit.period = static_cast<std::uint32_t>(period);
        }
        limit.match.set_span(d.span);
        limit.match.directive = d.index;
        if (!acl_fields(d, first, limit.match)) return;
        // Without RATE: a reload that only changes the rate keeps the count it limits.
        limit.key = std::string(d.name());
        for (std::size_t i = limit.exception ? 0 : 1; i < args.size(); ++i)
            limit.key += " " + std::string(args[i].text());
        limit.key = numbered_key(std::move(limit.key), model_.globals.connlims);
        model_.globals.connlims.push_back(std::move(limit));
    }

    void bandlimit(const LexedDirective& d) {
        std::string_view n = d.name();
        BandLimit b;
        b.out = n.ends_with("out");
        b.exception = n.starts_with("no");
        std::size_t first = b.exception ? 0 : 1;
        if (!b.exception) {
            const Token& t = d.args()[0];
            long long rate = 0;
            if (!parse_int(t.text(), rate) || rate < 300) {
                report(Rule::PX021, t.span(),
                       std::string(n) + " rate '" + printable(t.text()) +
                           "' must be a number of bits per second, 300 or more (3proxy refuses "
                           "the line)");
                return;
            }
            b.rate = static_cast<std::uint64_t>(rate);
        }
        if (!acl_fields(d, first, b.acl)) return;
        b.acl.set_span(d.span);
        for (std::size_t i = first; i < d.argc(); ++i) {
            if (!b.acl_text.empty()) b.acl_text += ' ';
            b.acl_text += d.args()[i].text();
        }
        b.key = std::string(b.exception ? "no" : "") + (b.out ? "out" : "in");
        if (!b.acl_text.empty()) b.key += " " + b.acl_text;
        b.key = numbered_key(std::move(b.key), model_.globals.bandlimits);
        model_.globals.bandlimits.push_back(std::move(b));
    }

    void parent(const LexedDirective& d) {
        auto args = d.args();
        if (segment_->entries.empty() || segment_->entries.back().action == AclAction::deny) {
            report(Rule::PX108, d.span,
                   std::string("parent must directly follow an allow or redirect line; ") +
                       (segment_->entries.empty() ? "there is no ACL entry before it"
                                                  : "the last ACL entry is a deny") +
                       " (3proxy: Chaining error)");
            return;
        }
        Parent p;
        long long w = 0, port = 0;
        if (!parse_int(args[0].text(), w) || w < 1 || w > 1000) {
            report(Rule::PX021, args[0].span(),
                   "parent weight '" + printable(args[0].text()) +
                       "' must be 1..1000 (weights of a group add up to 1000)");
            return;
        }
        if (args[3].has_dollar && !args[3].from_file) return;  // unexpanded $file
        if (!parse_int(args[3].text(), port) || port < 0 || port > 65535) {
            report(Rule::PX005, args[3].span(),
                   "parent port '" + printable(args[3].text()) + "' is not a port");
            return;
        }
        static constexpr std::string_view types[] = {
            "tcp",     "http",    "connect", "connect+", "socks4", "socks4+", "socks5", "socks5+",
            "socks4b", "socks5b", "pop3",    "ftp",      "admin",  "extip",   "smtp",   "ha"};
        if (std::find(std::begin(types), std::end(types), args[1].text()) == std::end(types)) {
            report(Rule::PX021, args[1].span(),
                   "unknown parent type '" + printable(args[1].text()) + "'");
            return;
        }
        p.weight = static_cast<int>(w);
        p.type = std::string(args[1].text());
        p.host = std::string(args[2].text());
        p.port = static_cast<std::uint16_t>(port);
        if (args.size() > 4) p.user = std::string(args[4].text());
        if (args.size() > 5) p.password = std::string(args[5].text());
        p.span = d.span;
        last_entry_for_update()->parents.push_back(std::move(p));
    }

    void modifier(const LexedDirective& d) {
        if (segment_->entries.empty()) {
            report(Rule::PX110, d.span,
                   "'" + std::string(d.name()) +
                       "' modifies the last ACL entry, and there is none "
                       "(3proxy: Chaining error)");
            return;
        }
        AclEntry* e = last_entry_for_update();
        if (d.id == DirectiveId::nolog) {
            e->nolog = true;
        } else {
            long long w = 0;
            if (!parse_int(d.args()[0].text(), w)) {
                report(Rule::PX021, d.args()[0].span(), "weight must be a number");
                return;
            }
            e->weight = static_cast<int>(w);
        }
    }

    void auth(const LexedDirective& d) {
        AuthChain methods;
        for (const auto& t : d.args()) {
            if (auto m = auth_method_from(t.text())) {
                methods.push_back(*m);
            } else if (cfg_.plugin_seen) {
                methods.push_plugin(std::string(t.text()));
            } else {
                std::string msg = "unknown auth type '" + printable(t.text()) + "'";
                if (t.text() == "nbname")
                    msg += " (removed in 3proxy 0.9)";
                else if (auth_method_from(to_lower(t.text())))
                    msg += "; auth types are lower case";
                msg += " (expected none, iponly, useronly, dnsname, strong, cache or radius)";
                report(Rule::PX021, t.span(), msg);
                return;
            }
        }
        auth_ = {std::move(methods), d.span};
    }

    void users(const LexedDirective& d) {
        auto first = static_cast<std::uint32_t>(model_.user_definitions.size());
        define_users(d);
        auto last = static_cast<std::uint32_t>(model_.user_definitions.size());
        model_.users.assign_range(model_.user_definitions, first, last);
    }

    // Appends the line's users to the definitions; users() or the users thread then makes
    // them the effective ones, in order.
    void define_users(const LexedDirective& d) {
        for (const auto& t : d.args()) {
            if (t.has_dollar && !t.from_file) continue;  // an unexpanded users $file
            std::string_view v = t.text();
            std::string_view name = v, secret;
            PasswordType type = PasswordType::sys;
            auto colon = v.find(':');
            if (colon != std::string_view::npos && v.size() - colon - 1 >= 3 &&
                v[colon + 3] == ':') {
                name = v.substr(0, colon);
                std::string_view tag = v.substr(colon + 1, 2);
                secret = v.substr(colon + 4);
                if (tag == "CL")
                    type = PasswordType::cl;
                else if (tag == "CR")
                    type = PasswordType::cr;
                else if (tag == "NT")
                    type = PasswordType::nt;
                else if (tag == "LM")
                    type = PasswordType::lm;
                else {
                    type = PasswordType::unknown;
                    secret = v.substr(colon + 1);
                }
            }
            User& u = model_.add_user(name, secret);
            u.type = type;
            u.set_span(t.span());
            u.directive = d.index;
        }
    }

    void log(const LexedDirective& d) {
        auto args = d.args();
        LogSettings& log = change_shared().log;
        log.enabled = true;
        log.log_span = d.span;
        log.target = args.empty() ? "" : std::string(args[0].text());
        log.rotation = args.size() > 1 ? std::string(args[1].text()) : "";
        model_.globals.log_target = {log.target, d.span};
        model_.globals.log_rotation = {log.rotation, d.span};
    }

    // 3proxy matches the type words as substrings ("ip,user" works) and falls back to
    // user,pass when none is found, and to 600 s for a time that is absent or 0.
    void authcache(const LexedDirective& d) {
        using B = AuthCacheSettings;
        static constexpr std::pair<std::string_view, B::Bits> words[] = {
            {"ip", B::ip},       {"user", B::user}, {"pass", B::pass},
            {"limit", B::limit}, {"acl", B::acl},   {"ext", B::ext},
        };
        AuthCacheSettings a;
        a.type = 0;
        std::string_view types = d.args()[0].text();
        for (const auto& [word, bit] : words)
            if (types.find(word) != std::string_view::npos) a.type |= bit;
        if (a.type == 0) {
            // A warning: 3proxy takes the line, with the fallback.
            report(Rule::PX021, Severity::warning, d.args()[0].span(),
                   "authcache type '" + printable(types) +
                       "' names none of ip, user, pass, limit, acl, ext; 3proxy (and proxyd) "
                       "use user,pass");
            a.type = B::user | B::pass;
        }
        if (d.args().size() > 1) {
            const Token& t = d.args()[1];
            long long v = 0;
            if (!parse_int(t.text(), v) || v < 0 || v > 100000000) {
                report(Rule::PX021, Severity::warning, t.span(),
                       "authcache time '" + printable(t.text()) +
                           "' is not a number of seconds; 3proxy (and proxyd) use 600");
                v = 0;
            }
            if (v > 0) a.seconds = static_cast<std::uint32_t>(v);
        }
        model_.globals.authcache = {a, d.span};
    }

    // 3proxy refuses a size under 256; the last line of each kind wins.
    void nscache(const LexedDirective& d) {
        nscache_seen_ = true;
        const Token& t = d.args()[0];
        if (t.has_dollar && !t.from_file) return;
        long long n = 0;
        if (!parse_int(t.text(), n) || n < 256 || n > 16777216) {
            report(Rule::PX021, t.span(),
                   std::string(d.name()) + " '" + printable(t.text()) +
                       "' must be a number of names from 256 to 16777216 (3proxy refuses less "
                       "than 256)");
            return;
        }
        auto& size =
            d.id == DirectiveId::nscache ? model_.globals.nscache : model_.globals.nscache6;
        size = {static_cast<std::uint32_t>(n), d.span};
    }

    // A record before any nscache line goes nowhere in 3proxy, and in proxyd, which keeps
    // the meaning (PX112 says so).
    void nsrecord(const LexedDirective& d) {
        const Token& name = d.args()[0];
        const Token& addr = d.args()[1];
        if ((name.has_dollar && !name.from_file) || (addr.has_dollar && !addr.from_file)) return;
        auto ip = IpAddress::parse(addr.text());
        if (!ip) {
            report(Rule::PX021, addr.span(),
                   "nsrecord needs an IPv4 or IPv6 address, not '" + printable(addr.text()) +
                       "' (3proxy refuses the line)");
            return;
        }
        if (!nscache_seen_) return;
        model_.globals.ns_records.push_back({to_lower(name.text()), *ip, d.span});
    }

    void timeouts(const LexedDirective& d) {
        Timeouts t = model_.globals.timeouts.value;
        std::size_t i = 0;
        for (const auto& a : d.args()) {
            long long v = 0;
            if (!parse_int(a.text(), v)) {
                report(Rule::PX021, a.span(),
                       "timeout '" + printable(a.text()) + "' is not a number of seconds");
                return;
            }
            if (v < 1 || v > 2000000) {
                report(Rule::PX306, a.span(),
                       "timeout " + std::string(a.text()) +
                           " is outside 1..2000000 (3proxy: Invalid timeout)");
                return;
            }
            if (i < t.values.size()) t.values[i] = static_cast<std::uint32_t>(v);
            ++i;
        }
        model_.globals.timeouts = {t, d.span};
    }

    // Service options: one token each, value glued to the letter.
    void service(const LexedDirective& d) {
        Service s;
        s.index = static_cast<std::uint32_t>(model_.services.size());
        auto type = service_type_from(d.name());
        if (!type) return;  // auto, tlspr: 3proxy services the model does not describe
        s.type = *type;
        s.span = d.span;
        s.directive = d.index;
        s.port = {default_port(s.type), {}};
        s.bind_address = internal_;
        s.auth = auth_;
        s.acl = AclView{segment_, segment_->entries.size()};
        snapshotted_ = segment_->entries.size();
        s.maxconn = maxconn_;
        if (!shared_snapshot_) shared_snapshot_ = std::make_shared<const SharedSettings>(shared_);
        s.shared = shared_snapshot_;

        auto args = d.args();
        std::size_t i = 0;
        bool ok = true;
        for (; i < args.size(); ++i) {
            const Token& t = args[i];
            std::string_view v = t.text();
            if (v.size() < 2 || v[0] != '-') break;
            ok &= option(s, d, i);
        }
        bool mapper = s.type == ServiceType::tcppm || s.type == ServiceType::udppm;
        std::size_t positional = args.size() - i;
        if (mapper) {
            ok &= mapper_ports(s, d, i);
        } else if (positional > 0) {
            stray_argument(d, i);
            ok = false;
        }
        s.refused = !ok;
        if (s.refused && !keep_refused_) return;
        std::string label =
            std::string(to_string(s.type)) + ":" +
            (s.listens_everywhere() ? std::to_string(s.port.value)
                                    : host_port(s.bind_address.value, s.port.value));
        // A refused service takes no label: those of the services that start stay as
        // they would be without it.
        std::string base = label;
        for (int n = 2; !s.refused && labels_.contains(std::string_view(label)); ++n)
            label = base + "#" + std::to_string(n);
        s.label = service_text(label);
        const Service& added = model_.services.emplace_back(std::move(s));
        if (!added.refused) labels_.insert(added.index);
    }

    // A copy of `text` in the model's pool for services' texts.
    std::string_view service_text(std::string_view text) {
        if (text.empty()) return {};
        char* copy = model_.service_text.allocate(text.size());
        std::copy(text.begin(), text.end(), copy);
        return {copy, text.size()};
    }

    // tcppm/udppm: LPORT HOST RPORT after the options; false when 3proxy refuses them.
    bool mapper_ports(Service& s, const LexedDirective& d, std::size_t i) {
        auto args = d.args();
        std::size_t positional = args.size() - i;
        if (positional != 3) {
            report(Rule::PX009, d.span,
                   std::string(d.name()) +
                       " needs exactly LPORT HOST RPORT after its options, got " +
                       std::to_string(positional) + " word(s)");
            return false;
        }
        long long lport = 0, rport = 0;
        bool ok = true;
        if (!parse_int(args[i].text(), lport) || lport < 1 || lport > 65535) {
            report(Rule::PX005, args[i].span(),
                   "local port '" + printable(args[i].text()) + "' is not a port 1-65535");
            ok = false;
        }
        if (!parse_int(args[i + 2].text(), rport) || rport < 1 || rport > 65535) {
            report(Rule::PX005, args[i + 2].span(),
                   "remote port '" + printable(args[i + 2].text()) + "' is not a port 1-65535");
            ok = false;
        }
        if (!ok) return false;
        s.port = {static_cast<std::uint16_t>(lport), args[i].span()};
        s.map_host = service_text(args[i + 1].text());
        s.map_port = static_cast<std::uint16_t>(rport);
        return true;
    }

    // A word after the options that is not one: "-p 1080" gets a fix-it joining them.
    void stray_argument(const LexedDirective& d, std::size_t i) {
        auto args = d.args();
        const Token& t = args[i];
        std::string msg = "unexpected '" + printable(t.text()) + "' on a service line";
        std::vector<FixIt> fixits;
        if (i > 0 && args[i - 1].text().size() == 2 && !args[i - 1].quoted && !t.quoted &&
            args[i - 1].span().line == t.span().line) {
            const Token& opt = args[i - 1];
            std::string joined = std::string(opt.text()) + std::string(t.text());
            msg = "option value must be glued to its letter: write '" + joined + "', not '" +
                  std::string(opt.text()) + " " + std::string(t.text()) +
                  "' (3proxy: Service not started, code 40)";
            // Unsafe: a service 3proxy did not start then starts and accepts requests.
            fixits.push_back({{opt.span().file, opt.span().line, opt.span().column,
                               t.span().column + t.span().length - opt.span().column},
                              joined,
                              "join the option and its value",
                              true});
        } else {
            msg += " (options start with '-' and come first; 3proxy: Service not started)";
        }
        SourceSpan span = fixits.empty() ? t.span() : fixits.front().span;
        report(Rule::PX009, span, msg, std::move(fixits));
    }

    // The service's own copy of its shared settings, for -l, -f and -e.
    static SharedSettings& own_shared(Service& s) {
        auto copy = std::make_shared<SharedSettings>(*s.shared);
        SharedSettings& own = *copy;
        s.shared = std::move(copy);
        return own;
    }

    // One "-X..." word of a service line; false when 3proxy refuses it and the service.
    bool option(Service& s, const LexedDirective& d, std::size_t i) {
        const Token& t = d.args()[i];
        std::string_view v = t.text();
        char letter = v[1];
        std::string_view value = v.substr(2);
        if (t.has_dollar && !t.from_file) return true;  // an unexpanded $file: unknown value
        // "-p 1080": reported once, with a fix-it, as a stray argument after the options.
        if (value.empty() && (letter == 'p' || letter == 'i' || letter == 'e') &&
            value_follows(d, i))
            return true;
        switch (letter) {
            case 'p':
                return port_option(s, t, value);
            case 'i':
                if (value.empty())
                    return bad_option(t, "-i needs an address glued to it: -i127.0.0.1");
                s.bind_address = {std::string(value), t.span()};
                return true;
            case 'e':
                return external_option(s, t, value);
            case 'l':
            case 'f':
                log_option(s, t, letter, value);
                return true;
            case 'a':
                return anonymous_option(s, t, value);
            case 'u':
                return user_option(s, t, value);
            case '4':
            case '6':
                return family_option(s, t);
            case 'I':
                return bad_option(t,
                                  "-I (inetd mode) works only in the standalone binaries, not in a "
                                  "configuration");
            case 'n':
            case 'd':
            case 't':
            case 's':
            case 'T':
            case 'h':
            case 'S':
            case 'b':
            case 'r':
            case 'R':
            case 'o':
            case 'D':
            case 'N':
            case 'c':
            case 'g':
                keep_option(s, v);
                return true;
            default:
                return bad_option(t, "unknown service option '" + printable(v) + "'");
        }
    }

    bool bad_option(const Token& t, std::string msg) {
        report(Rule::PX009, t.span(), std::move(msg));
        return false;
    }

    // Records the option as written: "-s" -> "0" for "-s0".
    static void keep_option(Service& s, std::string_view v) {
        s.options.set(v.substr(0, 2), v.substr(2));
    }

    // Is the word after args[i] a value, not the next option?
    static bool value_follows(const LexedDirective& d, std::size_t i) {
        auto args = d.args();
        return i + 1 < args.size() && !args[i + 1].text().empty() && args[i + 1].text()[0] != '-';
    }

    bool port_option(Service& s, const Token& t, std::string_view value) {
        long long p = 0;
        if (value.empty()) return bad_option(t, "-p needs a port glued to it: -p1080");
        if (!parse_int(value, p) || p < 1 || p > 65535) {
            // 3proxy reads it as 0 and listens on the default port: not fatal there.
            report(Rule::PX009, Severity::warning, t.span(),
                   "port '" + printable(value) +
                       "' is not 1-65535; 3proxy (and proxyd) "
                       "silently listen on the default port " +
                       std::to_string(default_port(s.type)) + " instead");
            return true;
        }
        if (s.type != ServiceType::tcppm && s.type != ServiceType::udppm)
            s.port = {static_cast<std::uint16_t>(p), t.span()};
        return true;
    }

    bool external_option(Service& s, const Token& t, std::string_view value) {
        if (value.empty()) return bad_option(t, "-e needs an address glued to it: -e192.0.2.1");
        auto ip = IpAddress::parse(value);
        if (!ip)
            return bad_option(t, "-e needs an IP address, not '" + printable(value) +
                                     "': 3proxy resolves a name once at start and refuses the "
                                     "service (code 40) when it does not resolve");
        if (ip->family == IpAddress::Family::v6)
            own_shared(s).external_v6 = {std::string(value), t.span()};
        else
            own_shared(s).external_v4 = {std::string(value), t.span()};
        return true;
    }

    // -l[TARGET] logs this service, -fFORMAT sets its format: both on its own copy.
    static void log_option(Service& s, const Token& t, char letter, std::string_view value) {
        LogSettings& log = own_shared(s).log;
        if (letter == 'l') {
            log.enabled = true;
            log.log_span = t.span();
            if (!value.empty()) log.target = std::string(value);
        } else {
            log.format = std::string(value);
            log.format_span = t.span();
        }
    }

    bool anonymous_option(Service& s, const Token& t, std::string_view value) {
        if (value.empty())
            s.anonymous = 1;
        else if (value == "1")
            s.anonymous = 2;
        else if (value == "2")
            s.anonymous = 3;
        else
            return bad_option(t, "-a takes no value, 1 or 2");
        keep_option(s, t.text());
        return true;
    }

    bool user_option(Service& s, const Token& t, std::string_view value) {
        if (value.empty())
            s.need_user = 0;
        else if (value == "2")
            s.need_user = 2;
        else
            return bad_option(t, "-u takes no value or 2");
        return true;
    }

    // -4, -6, -46, -64: the model keeps whether IPv6 comes first.
    bool family_option(Service& s, const Token& t) {
        std::string_view v = t.text();
        std::string_view value = v.substr(2);
        if (!(value.empty() || value == "6" || value == "4"))
            return bad_option(
                t, "unknown address family option '" + printable(v) + "' (use -4, -6, -46 or -64)");
        s.ipv6_first = v[1] == '6';
        keep_option(s, v);
        return true;
    }
};

}  // namespace

Model resolve(const ParsedConfig& config, Diagnostics& diagnostics, bool keep_refused) {
    Resolver r(config, diagnostics, keep_refused);
    return r.run();
}

void drop_refused_services(Model& model) {
    auto& services = model.services;
    services.erase(std::remove_if(services.begin(), services.end(),
                                  [](const Service& s) { return s.refused; }),
                   services.end());
    for (std::size_t i = 0; i < services.size(); ++i) services[i].index = i;
}

}  // namespace proxycfg
