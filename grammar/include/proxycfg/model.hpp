// The effective configuration: what each service really gets after 3proxy's positional
// replay. Owns all its data (no views into the parse), so a daemon can keep it as an
// immutable snapshot after the sources are gone.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "proxycfg/auth_chain.hpp"
#include "proxycfg/net.hpp"
#include "proxycfg/packed_list.hpp"
#include "proxycfg/service_options.hpp"
#include "proxycfg/source.hpp"
#include "proxycfg/text_pool.hpp"
#include "proxycfg/user_table.hpp"

namespace proxycfg {

enum class ServiceType : std::uint8_t {
    proxy,
    socks,
    pop3p,
    ftppr,
    admin,
    dnspr,
    smtpp,
    tcppm,
    udppm
};
std::string_view to_string(ServiceType t);
std::optional<ServiceType> service_type_from(std::string_view name);
std::uint16_t default_port(ServiceType t);  // 0 for the port mappers

// ACL operation bits (3proxy src/structures.h).
namespace op {
constexpr std::uint32_t CONNECT = 0x00000001;
constexpr std::uint32_t BIND = 0x00000002;
constexpr std::uint32_t UDPASSOC = 0x00000004;
constexpr std::uint32_t ICMPASSOC = 0x00000008;
constexpr std::uint32_t HTTP_GET = 0x00000100;
constexpr std::uint32_t HTTP_PUT = 0x00000200;
constexpr std::uint32_t HTTP_POST = 0x00000400;
constexpr std::uint32_t HTTP_HEAD = 0x00000800;
constexpr std::uint32_t HTTP_CONNECT = 0x00001000;
constexpr std::uint32_t HTTP_OTHER = 0x00008000;
constexpr std::uint32_t HTTP = 0x0000EF00;  // every HTTP method but CONNECT
constexpr std::uint32_t HTTPS = HTTP_CONNECT;
constexpr std::uint32_t FTP_GET = 0x00010000;
constexpr std::uint32_t FTP_PUT = 0x00020000;
constexpr std::uint32_t FTP_LIST = 0x00040000;
constexpr std::uint32_t FTP_DATA = 0x00080000;
constexpr std::uint32_t FTP = 0x000F0000;
constexpr std::uint32_t DNSRESOLVE = 0x00100000;
constexpr std::uint32_t ADMIN = 0x01000000;
}  // namespace op
std::optional<std::uint32_t> operation_from(std::string_view name);
std::string operations_to_string(std::uint32_t ops);  // "CONNECT,HTTP_GET"

enum class PasswordType : std::uint8_t { sys, cl, cr, nt, lm, unknown };
std::string_view to_string(PasswordType t);

// One definition from a `users` line. A large configuration has hundreds of thousands,
// so the name and the secret are not strings of their own: they are stored next to each
// other in the model's user_text (Model::add_user makes a definition) and read as views,
// valid while that model or a copy of it lives.
struct User {
    // The longest name or secret: a token's text is at most this long (Token keeps 16-bit
    // sizes), so every definition read from a configuration fits. add_user refuses more.
    static constexpr std::size_t max_size = UINT16_MAX;

    std::string_view name() const { return {text_, name_size_}; }
    // CL: the password; CR: the crypt hash; NT: hex
    std::string_view secret() const { return {text_ + name_size_, secret_size_}; }

    // The token that defined it.
    SourceSpan span() const { return {file_, line_, column_, length_}; }
    // Throws std::length_error for a line past max_line or a column or length past 65535,
    // which no token of a file the sources accept has (at most 512 MiB, lines of at most
    // 65534 bytes).
    void set_span(const SourceSpan& s);
    static constexpr std::uint32_t max_line = (std::uint32_t{1} << 29) - 1;

    std::uint32_t directive = 0;  // index of the `users` directive that defined it
    // Index in Model::user_definitions of the earlier definition of the same name that
    // this one replaces, or no_previous. A definition no later one names this way is the
    // effective one (Model::effective_users).
    std::uint32_t previous = no_previous;
    static constexpr std::uint32_t no_previous = UINT32_MAX;
    // 32 bytes, as a large configuration has hundreds of thousands: the type shares the
    // span's line number's word.
    PasswordType type : 3 = PasswordType::sys;

  private:
    friend struct Model;
    std::uint32_t line_ : 29 = 0;
    FileId file_ = 0;
    std::uint16_t column_ = 0;
    std::uint16_t length_ = 0;
    std::uint16_t name_size_ = 0;
    std::uint16_t secret_size_ = 0;
    const char* text_ = "";  // the name, then the secret
};
static_assert(sizeof(User) == 32);

// A DST entry that is not an IP: "example.com", "*.example.com", "www.*", "*sub*". Read
// from an entry's packed list, so it views the entry's storage: copy the text to keep it.
struct HostPattern {
    enum class Kind : std::uint8_t { exact, suffix, prefix, substring };
    Kind kind = Kind::exact;
    std::string_view text;  // lower-cased, '*' removed, trailing dots stripped
    bool matches(std::string_view host) const;
    std::string to_string() const;
};

// Host patterns: the kind byte, then the text as a name record (NameCodec).
struct HostPatternCodec {
    using value_type = HostPattern;
    static std::size_t size(const HostPattern& p) { return 1 + NameCodec::size(p.text); }
    static void encode(const HostPattern& p, unsigned char* out) {
        out[0] = static_cast<unsigned char>(p.kind);
        NameCodec::encode(p.text, out + 1);
    }
    static std::size_t length(const unsigned char* p) { return 1 + NameCodec::length(p + 1); }
    static HostPattern decode(const unsigned char* p) {
        return {static_cast<HostPattern::Kind>(p[0]), NameCodec::decode(p + 1)};
    }
};
using HostPatternList = PackedList<HostPatternCodec>;

struct Parent {
    int weight = 1000;
    std::string type;  // tcp, http, connect, socks5, ...
    std::string host;
    std::uint16_t port = 0;
    std::string user;
    std::string password;
    SourceSpan span;
};

// An entry's parents: nearly every entry has none, so an empty list is one null pointer
// (a vector would be 24 bytes in each of hundreds of thousands of entries). Copies are deep.
class ParentList {
  public:
    ParentList() = default;
    ParentList(std::initializer_list<Parent> parents) {
        for (const auto& p : parents) push_back(p);
    }
    ParentList(const ParentList& o)
        : list_(o.list_ ? std::make_unique<std::vector<Parent>>(*o.list_) : nullptr) {}
    ParentList(ParentList&&) noexcept = default;
    ParentList& operator=(const ParentList& o) {
        if (this != &o) *this = ParentList(o);
        return *this;
    }
    ParentList& operator=(ParentList&&) noexcept = default;
    ~ParentList() = default;

    const Parent* begin() const { return list_ ? list_->data() : nullptr; }
    const Parent* end() const { return list_ ? list_->data() + list_->size() : nullptr; }
    std::size_t size() const { return list_ ? list_->size() : 0; }
    bool empty() const { return !list_; }
    const Parent& front() const { return list_->front(); }
    const Parent& operator[](std::size_t i) const { return (*list_)[i]; }
    const Parent& at(std::size_t i) const {
        if (i >= size()) throw std::out_of_range("ParentList::at");
        return (*list_)[i];
    }
    operator std::span<const Parent>() const { return {begin(), size()}; }

    void push_back(Parent p) {
        if (!list_) list_ = std::make_unique<std::vector<Parent>>();
        list_->push_back(std::move(p));
    }
    void clear() { list_.reset(); }

  private:
    std::unique_ptr<std::vector<Parent>> list_;  // null when empty
};

struct TimePeriod {
    std::uint32_t from = 0;  // seconds since local midnight
    std::uint32_t to = 0;    // exclusive
};
using TimePeriodList = PackedList<FixedCodec<TimePeriod>>;

using HostPatternView = PackedView<HostPatternCodec>;
using TimePeriodView = PackedView<FixedCodec<TimePeriod>>;

enum class AclAction : std::uint8_t { allow, deny, redirect };
std::string_view to_string(AclAction a);

// An entry's lists as they are built, one list of type List<Codec> each. AclEntry keeps
// them packed together (set_lists); code that builds an entry fills one of these.
template <template <typename> class List>
struct BasicAclFieldLists {
    List<NameCodec> users;
    List<IpRangeCodec> sources;
    List<IpRangeCodec> target_addresses;
    List<HostPatternCodec> target_hosts;
    List<FixedCodec<PortRange>> ports;
    List<FixedCodec<TimePeriod>> periods;
    // A source or target item has a form the lint rules report (a CIDR block with host
    // bits set, a '*name' pattern): lint reads the line again only then.
    bool unusual_forms = false;
};
// Lists that can be copied and compared, as tests and callers with a few entries build them.
using AclFieldLists = BasicAclFieldLists<PackedList>;
// Builders with room for a short list in place, as the resolver reads every ACL line into
// them: no allocation for the lists of a usual line before its block.
using AclFieldBuilders = BasicAclFieldLists<PackedListBuilder>;

// One allow/deny/redirect entry. An empty list in a field means '*' (any).
// 40 bytes, as a large configuration has hundreds of thousands of entries: the small
// fields and the span's column and length share the first four bytes, and the six lists
// share one packed block (PackedLists). Read the lists by value, as views of that block,
// valid while the entry lives and its lists are not set again.
struct AclEntry {
    std::uint8_t weekdays : 7 = 0;  // bit 0 = Sunday ... bit 6 = Saturday; 0: any
    bool nolog : 1 = false;
    AclAction action : 2 = AclAction::allow;

  private:
    std::uint8_t column_ : 6 = 0;  // of span(): a line's start (1, or after a BOM)
    std::uint16_t length_ = 0;     // of span(): a line's length (at most 65534 bytes)

  public:
    std::uint32_t operations = 0;  // 0: any
    int weight = 0;
    std::uint32_t directive = 0;  // index of the allow/deny/redirect directive

  private:
    std::uint32_t line_ = 0;  // of span()
    FileId file_ = 0;         // of span()

  public:
    ParentList parents;

    // The line the entry was written on.
    SourceSpan span() const { return {file_, line_, column_, length_}; }
    // Throws std::length_error for a column past 63 or a length past 65535, which no line
    // the parser accepts has.
    void set_span(const SourceSpan& s);

    NameView users() const { return lists_.get<NameCodec>(0); }
    IpRangeView sources() const { return lists_.get<IpRangeCodec>(1); }
    IpRangeView target_addresses() const { return lists_.get<IpRangeCodec>(2); }
    HostPatternView target_hosts() const { return lists_.get<HostPatternCodec>(3); }
    PortRangeView ports() const { return lists_.get<FixedCodec<PortRange>>(4); }
    TimePeriodView periods() const { return lists_.get<FixedCodec<TimePeriod>>(5); }
    // With a pool, the lists' block is taken from it (the pool must outlive the entry;
    // copies of the entry own theirs), else from the heap.
    template <template <typename> class List>
    void set_lists(const BasicAclFieldLists<List>& l, TextPool* pool = nullptr) {
        using Part = PackedLists<6>::Part;
        lists_ =
            PackedLists<6>({Part::of(l.users), Part::of(l.sources), Part::of(l.target_addresses),
                            Part::of(l.target_hosts), Part::of(l.ports), Part::of(l.periods)},
                           pool, l.unusual_forms);
    }
    // AclFieldLists::unusual_forms, as set_lists was given it.
    bool unusual_forms() const { return lists_.marked(); }
    // Bytes of the lists' shared block, for memory accounting.
    std::size_t list_bytes() const { return lists_.bytes(); }

    bool any_target() const { return target_addresses().empty() && target_hosts().empty(); }
    bool matches_everything() const;  // all fields '*'

  private:
    PackedLists<6> lists_;
};
static_assert(sizeof(AclEntry) <= 40);

// The entries from one `flush` (or the start of the file) on.
struct AclSegment {
    std::vector<AclEntry> entries;
    SourceSpan flush;  // the `flush` that started it; invalid at the start of the file
};

// The ACL a service captured: a prefix of a shared segment (ACLs leak from one service
// to the next until `flush`, so sharing keeps the model linear in the file's size).
struct AclView {
    std::shared_ptr<const AclSegment> segment;
    std::size_t count = 0;
    std::span<const AclEntry> entries() const {
        return segment ? std::span<const AclEntry>(segment->entries.data(), count)
                       : std::span<const AclEntry>{};
    }
    bool empty() const { return count == 0; }
    // The `flush` that started this ACL; invalid if none did.
    SourceSpan flush() const { return segment ? segment->flush : SourceSpan{}; }
};

template <typename T>
struct Setting {
    T value{};
    SourceSpan span;  // invalid: the default
};

// Timeouts in seconds, 3proxy order.
struct Timeouts {
    std::array<std::uint32_t, 10> values{1, 5, 30, 60, 180, 1800, 15, 60, 15, 5};
    std::uint32_t byte_short() const { return values[0]; }
    std::uint32_t byte_long() const { return values[1]; }
    std::uint32_t string_short() const { return values[2]; }
    std::uint32_t string_long() const { return values[3]; }
    std::uint32_t connection_short() const { return values[4]; }
    std::uint32_t connection_long() const { return values[5]; }
    std::uint32_t dns() const { return values[6]; }
    std::uint32_t chain() const { return values[7]; }
    std::uint32_t connect() const { return values[8]; }
};

struct LogSettings {
    bool enabled = false;  // a `log` line was seen before the service, or -l
    std::string target;    // "" = stdout, a path, "@ident" syslog, "/dev/null"
    std::string rotation;  // letter or empty
    std::string format;    // logformat, empty = default
    SourceSpan log_span;   // the `log` line (or -l option) that set it
    SourceSpan format_span;
};

// What a service takes from lines that seldom change in a file (`log`, `logformat`,
// `external`, `force`, `writable`) and its -l, -f and -e options: held once for all the
// services that get the same.
struct SharedSettings {
    Setting<std::string> external_v4;  // "" = chosen by the system
    Setting<std::string> external_v6;
    Setting<bool> force{true, {}};
    // `writable` above the service line: an admin service may reload and close sessions
    // (proxyd never rewrites the configuration, which 3proxy's writable allows).
    Setting<bool> writable;
    LogSettings log;

    // The settings of a service with no such line above it.
    static const std::shared_ptr<const SharedSettings>& defaults();
};

struct Service {
    // A large configuration has tens of thousands of services: the members are in an
    // order that needs no padding (256 bytes).

    // "socks:1080@127.0.0.1": a stable name for people and the protocol. Its text is in
    // the model's service_text, valid while that model or a copy of it lives.
    std::string_view label;

    // Listening and outgoing addresses.
    Setting<std::string> bind_address;  // "" = all interfaces (0.0.0.0)
    // tcppm / udppm destination (map_port below), in the model's service_text as label.
    std::string_view map_host;

    Setting<AuthChain> auth;  // default {iponly}
    AclView acl;

    // Shared by the services that get the same settings (most of a file's services):
    // never null; copied, not modified, by whoever needs different settings.
    std::shared_ptr<const SharedSettings> shared = SharedSettings::defaults();
    const Setting<std::string>& external_v4() const { return shared->external_v4; }
    const Setting<std::string>& external_v6() const { return shared->external_v6; }
    const Setting<bool>& force() const { return shared->force; }  // default true
    const Setting<bool>& writable() const { return shared->writable; }
    const LogSettings& log() const { return shared->log; }

    // Service options, verbatim by letter, for anything the model does not interpret.
    ServiceOptions options;  // "-a" -> "1", "-n" -> ""

    SourceSpan span;              // the service line
    Setting<std::uint16_t> port;  // effective listen port
    Setting<int> maxconn;         // default 100
    std::uint32_t index = 0;      // in Model::services
    std::uint32_t directive = 0;  // index of the service directive
    std::uint16_t map_port = 0;
    ServiceType type = ServiceType::socks;
    std::uint8_t anonymous = 0;  // proxy -a/-a1/-a2 (0 = add Forwarded)
    std::uint8_t need_user = 1;  // -u / -u2
    bool ipv6_first = false;     // -6 / -64 / -46
    // 3proxy refuses the line (an error says why): only the lint rules see such a service,
    // and settings its bad options would have set are the inherited ones.
    bool refused = false;

    // The `flush` that started the service's ACL segment; invalid if none did.
    SourceSpan acl_flush_span() const { return acl.flush(); }
    // Whether `m` is one of the service's auth methods.
    bool uses(AuthMethod m) const { return auth.value.contains(m); }
    // Where the service's auth comes from: its auth line, else the service line itself
    // (no auth line: 3proxy's default, iponly).
    const SourceSpan& auth_origin() const { return auth.span.valid() ? auth.span : span; }

    // No -i/internal, or a wildcard address in any spelling (0.0.0.0, ::, [::], 0:0:...).
    bool listens_everywhere() const {
        if (bind_address.value.empty()) return true;
        auto ip = IpAddress::parse(bind_address.value);
        return ip && ip->is_unspecified();
    }
};
static_assert(sizeof(Service) <= 256);

struct LoadedFile {
    std::string path;
    std::string content_hash;  // hex digest of the bytes read
    std::int64_t mtime_ns = 0;
    std::uint64_t size = 0;
};

// `authcache TYPES [SECONDS]`: what identifies a cached login and how long it lasts.
struct AuthCacheSettings {
    // 3proxy's bits. ip, user and pass are the key; limit keeps one address per user
    // (with ip); acl keys by the service's ACL; ext also remembers the external address.
    enum Bits : std::uint32_t { ip = 1, user = 2, pass = 4, limit = 8, acl = 16, ext = 32 };
    std::uint32_t type = user | pass;  // 3proxy's default, with or without an authcache line
    std::uint32_t seconds = 600;
    bool has(Bits b) const { return (type & b) != 0; }
    std::string types() const;      // "user,pass"
    std::string to_string() const;  // "user,pass 600s"
    bool operator==(const AuthCacheSettings&) const = default;
};

// `connlim RATE PERIOD USERS [ACL...]` / `noconnlim [ACL...]`: one global list, checked
// in file order for every service's sessions (proxycfg/connlim.hpp).
struct ConnLimit {
    bool exception = false;    // noconnlim: a match ends the walk, no limit applies
    std::uint32_t rate = 0;    // connections
    std::uint32_t period = 0;  // seconds; 0: RATE concurrent connections
    AclEntry match;            // the ACL fields
    // Names the limit's budget across reloads: its arguments, and which repeat of identical
    // lines it is (each line has its own budget, as in 3proxy).
    std::string key;
};

// `bandlimin`/`bandlimout RATE [ACL...]` and their `nobandlim*` exceptions: one global
// list per direction, first matching exception ends it. `in` is what reaches the client
// (downloads), `out` what reaches the server.
struct BandLimit {
    bool out = false;
    bool exception = false;  // nobandlimin / nobandlimout
    std::uint64_t rate = 0;  // bits per second; 0 for an exception
    AclEntry acl;            // the matching fields (action unused); acl.span: the line
    std::string acl_text;    // the ACL fields as written ("" for all)
    // Identifies the limit across reloads: direction and ACL fields as written, and which
    // occurrence of that text it is. A reload that keeps it keeps its shared budget.
    std::string key;
};

// When a traffic counter starts again from zero (and a counter report is written): the
// rotation letters 3proxy reads, C (minutely), H, D, W, M and Y; any other letter: never.
enum class CounterPeriod : std::uint8_t { never, minutely, hourly, daily, weekly, monthly, annually };
CounterPeriod counter_period_from(char letter);
std::string_view to_string(CounterPeriod p);  // "never", "minutely", "hourly", ...

// `counter FILE [TYPE REPORT]`: the file traffic counters are kept in between runs and
// reloads, and a report written at the start of each TYPE period (TYPE and REPORT count
// only together, as in 3proxy).
struct CounterFile {
    std::string path;
    CounterPeriod report_period = CounterPeriod::never;
    std::string report;  // file name; strftime % fields, else a date suffix is added
};

// `countin`/`countout`/`countall N[/COMMENT] TYPE LIMIT [ACL...]` and the `nocount*`
// exceptions: one global list in file order. `in` counts what reaches the client, `out`
// what reaches the server, `all` both.
struct TrafficCounter {
    enum class Kind : std::uint8_t { in, out, all };
    Kind kind = Kind::in;
    bool exception = false;        // nocountin / nocountout / nocountall
    std::uint32_t number = 0;      // N: its slot in the counter file; 0 is never saved
    std::string comment;           // after the '/' of N/COMMENT
    CounterPeriod period = CounterPeriod::never;
    std::uint64_t limit = 0;       // bytes (LIMIT is in MiB)
    AclEntry acl;                  // the matching fields; acl.span: the line
    std::string acl_text;          // the ACL fields as written ("" for all)
    // Identifies the counter across reloads and restarts: kind, N, TYPE and ACL fields (not
    // LIMIT or COMMENT, which a reload may change while the count goes on).
    std::string key;
};
std::string_view to_string(TrafficCounter::Kind k);  // "in", "out", "all"

struct Globals {
    Setting<Timeouts> timeouts;
    Setting<AuthCacheSettings> authcache;
    std::vector<Setting<std::string>> nservers;
    Setting<std::string> pidfile;
    std::vector<Setting<std::string>> monitor_files;
    Setting<bool> daemon;
    Setting<std::string> log_target;  // the last `log TARGET`; one file for every service
    Setting<std::string> log_rotation;
    Setting<std::string> logformat;  // the last one (services snapshot theirs)
    Setting<bool> fakeresolve;
    // `delimchar C`: splits `user@host` logins in pop3p, smtpp and ftppr ("" = '@').
    Setting<std::string> delimchar;
    char login_delimiter() const { return delimchar.value.empty() ? '@' : delimchar.value[0]; }
    Setting<std::string> config_path;  // `config PATH`
    Setting<std::string> setuid;       // user name or number; empty: not given
    Setting<std::string> setgid;       // group name or number
    // The first `chroot DIR [USER [GROUP]]` (3proxy runs only the first): USER and GROUP,
    // names or numbers, are taken on after the chroot in place of setuid/setgid.
    struct Chroot {
        std::string dir;
        std::string user;
        std::string group;
    };
    Setting<Chroot> chroot;
    // `nsrecord NAME ADDRESS` after an nscache line: answers proxyd gives itself before
    // asking a name server. Names in lower case.
    struct NsRecord {
        std::string name;
        IpAddress address;
        SourceSpan span;
    };
    std::vector<NsRecord> ns_records;
    // `nscache N` / `nscache6 N`: how many names the DNS cache keeps IPv4 / IPv6 answers
    // for; 0 (no line) caches nothing of that family.
    Setting<std::uint32_t> nscache{0, {}};
    Setting<std::uint32_t> nscache6{0, {}};
    // `system "CMD"`: run, in file order, each time the configuration is applied.
    std::vector<Setting<std::string>> system_commands;
    Setting<int> parentretries{1, {}};  // parent chains tried per connection
    std::vector<ConnLimit> connlims;
    std::vector<BandLimit> bandlimits;  // file order, both directions
    Setting<CounterFile> counter_file;  // the last `counter` line
    std::vector<TrafficCounter> counters;  // file order, every kind
};

struct Model {
    std::vector<Service> services;
    // Name -> index in user_definitions of the effective definition: the last one wins,
    // as in 3proxy. Indices, so a large users list is stored once.
    UserTable users;
    std::vector<User> user_definitions;  // every definition, in file order
    TextPool user_text;                  // the definitions' names and secrets
    TextPool service_text;               // the services' labels and mapped hosts
    Globals globals;
    std::vector<LoadedFile> files;  // main file first

    // Appends a definition of `name` with `secret`, both copied into user_text; the caller
    // sets the other fields, and UserTable::assign or assign_range makes it effective.
    // Throws std::length_error if either is longer than User::max_size.
    User& add_user(std::string_view name, std::string_view secret);
    const User* find_user(std::string_view name) const {
        std::uint32_t index = users.find(user_definitions, name);
        return index == UserTable::npos ? nullptr : &user_definitions[index];
    }
    // The effective definition of every name, in file order.
    std::vector<const User*> effective_users() const;
    // Per definition: whether a later definition of the same name replaces it.
    std::vector<bool> replaced_users() const;
    // Whether some service's auth chain has `method` (e.g. cache: logins are worth
    // remembering, and authcache worth showing).
    bool any_service_uses(AuthMethod method) const {
        for (const auto& s : services)
            if (s.uses(method)) return true;
        return false;
    }
};

}  // namespace proxycfg
