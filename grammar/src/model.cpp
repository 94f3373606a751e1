#include "proxycfg/model.hpp"

#include <algorithm>
#include <array>
#include <stdexcept>
#include <string>
#include <utility>

#include "text_util.hpp"

namespace proxycfg {
namespace {

constexpr std::array<std::pair<std::string_view, ServiceType>, 9> kServices = {{
    {"proxy", ServiceType::proxy},
    {"socks", ServiceType::socks},
    {"pop3p", ServiceType::pop3p},
    {"ftppr", ServiceType::ftppr},
    {"admin", ServiceType::admin},
    {"dnspr", ServiceType::dnspr},
    {"smtpp", ServiceType::smtpp},
    {"tcppm", ServiceType::tcppm},
    {"udppm", ServiceType::udppm},
}};

constexpr std::array<std::pair<std::string_view, AuthMethod>, 7> kAuth = {{
    {"none", AuthMethod::none},
    {"iponly", AuthMethod::iponly},
    {"useronly", AuthMethod::useronly},
    {"dnsname", AuthMethod::dnsname},
    {"strong", AuthMethod::strong},
    {"cache", AuthMethod::cache},
    {"radius", AuthMethod::radius},
}};

constexpr std::array<std::pair<std::string_view, std::uint32_t>, 19> kOps = {{
    {"CONNECT", op::CONNECT},
    {"BIND", op::BIND},
    {"UDPASSOC", op::UDPASSOC},
    {"ICMPASSOC", op::ICMPASSOC},
    {"HTTP_GET", op::HTTP_GET},
    {"HTTP_PUT", op::HTTP_PUT},
    {"HTTP_POST", op::HTTP_POST},
    {"HTTP_HEAD", op::HTTP_HEAD},
    {"HTTP_CONNECT", op::HTTP_CONNECT},
    {"HTTP_OTHER", op::HTTP_OTHER},
    {"HTTP", op::HTTP},
    {"HTTPS", op::HTTPS},
    {"FTP_GET", op::FTP_GET},
    {"FTP_PUT", op::FTP_PUT},
    {"FTP_LIST", op::FTP_LIST},
    {"FTP_DATA", op::FTP_DATA},
    {"FTP", op::FTP},
    {"ADMIN", op::ADMIN},
    {"DNSRESOLVE", op::DNSRESOLVE},
}};

// The two directions of a name table: a value's name ("?" when it has none) and a name's value.
template <class Table, class Value>
std::string_view name_in(const Table& table, Value value) {
    for (const auto& [name, v] : table)
        if (v == value) return name;
    return "?";
}

template <class Table>
auto value_in(const Table& table, std::string_view name)
    -> std::optional<typename Table::value_type::second_type> {
    for (const auto& [n, value] : table)
        if (n == name) return value;
    return std::nullopt;
}

}  // namespace

std::string_view to_string(ServiceType t) {
    return name_in(kServices, t);
}

std::optional<ServiceType> service_type_from(std::string_view name) {
    return value_in(kServices, name);
}

std::uint16_t default_port(ServiceType t) {
    switch (t) {
        case ServiceType::proxy:
            return 3128;
        case ServiceType::socks:
            return 1080;
        case ServiceType::pop3p:
            return 110;
        case ServiceType::ftppr:
            return 21;
        case ServiceType::admin:
            return 80;
        case ServiceType::dnspr:
            return 53;
        case ServiceType::smtpp:
            return 25;
        case ServiceType::tcppm:
        case ServiceType::udppm:
            return 0;
    }
    return 0;
}

std::string_view to_string(AuthMethod m) {
    // Not in the table: a plugin method is any name a loaded plugin registers, not a keyword.
    if (m == AuthMethod::plugin) return "plugin";
    return name_in(kAuth, m);
}

std::optional<AuthMethod> auth_method_from(std::string_view name) {
    return value_in(kAuth, name);
}

const std::shared_ptr<const SharedSettings>& SharedSettings::defaults() {
    static const auto settings = std::make_shared<const SharedSettings>();
    return settings;
}

std::optional<std::uint32_t> operation_from(std::string_view name) {
    return value_in(kOps, name);
}

std::string operations_to_string(std::uint32_t ops) {
    if (ops == 0) return "*";
    std::string out;
    std::uint32_t left = ops;
    // Prefer the group names where a whole group is present.
    for (auto [name, bits] : std::array<std::pair<std::string_view, std::uint32_t>, 2>{
             {{"HTTP", op::HTTP}, {"FTP", op::FTP}}}) {
        if ((left & bits) == bits) {
            out += out.empty() ? "" : ",";
            out += name;
            left &= ~bits;
        }
    }
    for (const auto& [name, bits] : kOps) {
        // HTTPS and HTTP_CONNECT are one bit: render it once, as HTTPS.
        if (bits == op::HTTP || bits == op::FTP || name == "HTTP_CONNECT") continue;
        if ((left & bits) == bits && bits != 0) {
            out += out.empty() ? "" : ",";
            out += name;
            left &= ~bits;
        }
    }
    return out;
}

std::string_view to_string(PasswordType t) {
    switch (t) {
        case PasswordType::sys:
            return "SYS";
        case PasswordType::cl:
            return "CL";
        case PasswordType::cr:
            return "CR";
        case PasswordType::nt:
            return "NT";
        case PasswordType::lm:
            return "LM";
        case PasswordType::unknown:
            return "UN";
    }
    return "UN";
}

std::string_view to_string(AclAction a) {
    switch (a) {
        case AclAction::allow:
            return "allow";
        case AclAction::deny:
            return "deny";
        case AclAction::redirect:
            return "redirect";
    }
    return "allow";
}

CounterPeriod counter_period_from(char letter) {
    switch (letter) {
        case 'c':
        case 'C':
            return CounterPeriod::minutely;
        case 'h':
        case 'H':
            return CounterPeriod::hourly;
        case 'd':
        case 'D':
            return CounterPeriod::daily;
        case 'w':
        case 'W':
            return CounterPeriod::weekly;
        case 'm':
        case 'M':
            return CounterPeriod::monthly;
        case 'y':
        case 'Y':
            return CounterPeriod::annually;
        default:
            return CounterPeriod::never;
    }
}

std::string_view to_string(CounterPeriod p) {
    switch (p) {
        case CounterPeriod::never:
            return "never";
        case CounterPeriod::minutely:
            return "minutely";
        case CounterPeriod::hourly:
            return "hourly";
        case CounterPeriod::daily:
            return "daily";
        case CounterPeriod::weekly:
            return "weekly";
        case CounterPeriod::monthly:
            return "monthly";
        case CounterPeriod::annually:
            return "annually";
    }
    return "never";
}

std::string_view to_string(TrafficCounter::Kind k) {
    switch (k) {
        case TrafficCounter::Kind::in:
            return "in";
        case TrafficCounter::Kind::out:
            return "out";
        case TrafficCounter::Kind::all:
            return "all";
    }
    return "in";
}

bool HostPattern::matches(std::string_view host) const {
    std::string h = to_lower(host);
    while (!h.empty() && h.back() == '.') h.pop_back();
    switch (kind) {
        case Kind::exact:
            return h == text;
        case Kind::suffix:  // the host must be strictly longer than the suffix
            return h.size() > text.size() &&
                   h.compare(h.size() - text.size(), text.size(), text) == 0;
        case Kind::prefix:
            return h.size() >= text.size() && h.compare(0, text.size(), text) == 0;
        case Kind::substring:
            return h.find(text) != std::string::npos;
    }
    return false;
}

std::string HostPattern::to_string() const {
    std::string t(text);
    switch (kind) {
        case Kind::exact:
            return t;
        case Kind::suffix:
            return "*" + t;
        case Kind::prefix:
            return t + "*";
        case Kind::substring:
            return "*" + t + "*";
    }
    return t;
}

void AclEntry::set_span(const SourceSpan& s) {
    if (s.column > 63 || s.length > 0xFFFF)
        throw std::length_error("ACL entry span: column or length out of range");
    file_ = s.file;
    line_ = s.line;
    column_ = static_cast<std::uint8_t>(s.column);
    length_ = static_cast<std::uint16_t>(s.length);
}

bool AclEntry::matches_everything() const {
    return lists_.all_empty() && operations == 0 && weekdays == 0;
}

User& Model::add_user(std::string_view name, std::string_view secret) {
    if (name.size() > User::max_size || secret.size() > User::max_size)
        throw std::length_error("user name or secret longer than " +
                                std::to_string(User::max_size) + " bytes");
    // Allocated before the definition is appended: a failure leaves no definition behind.
    const std::size_t size = name.size() + secret.size();
    char* text = size == 0 ? nullptr : user_text.allocate(size);
    User& u = user_definitions.emplace_back();
    if (!text) return u;
    std::copy(name.begin(), name.end(), text);
    std::copy(secret.begin(), secret.end(), text + name.size());
    u.text_ = text;
    u.name_size_ = static_cast<std::uint16_t>(name.size());
    u.secret_size_ = static_cast<std::uint16_t>(secret.size());
    return u;
}

void User::set_span(const SourceSpan& s) {
    if (s.line > max_line || s.column > 0xFFFF || s.length > 0xFFFF)
        throw std::length_error("user definition span: line, column or length out of range");
    file_ = s.file;
    line_ = s.line;
    column_ = static_cast<std::uint16_t>(s.column);
    length_ = static_cast<std::uint16_t>(s.length);
}

std::vector<bool> Model::replaced_users() const {
    std::vector<bool> replaced(user_definitions.size());
    for (const User& u : user_definitions)
        if (u.previous != User::no_previous) replaced[u.previous] = true;
    return replaced;
}

std::vector<const User*> Model::effective_users() const {
    std::vector<const User*> out;
    out.reserve(users.size());
    auto replaced = replaced_users();
    for (std::size_t i = 0; i < user_definitions.size(); ++i)
        if (!replaced[i]) out.push_back(&user_definitions[i]);
    return out;
}

std::string AuthCacheSettings::types() const {
    static constexpr std::pair<Bits, std::string_view> names[] = {
        {ip, "ip"}, {user, "user"}, {pass, "pass"}, {limit, "limit"}, {acl, "acl"}, {ext, "ext"},
    };
    std::string out;
    for (const auto& [bit, name] : names)
        if (has(bit)) out += (out.empty() ? "" : ",") + std::string(name);
    return out;
}

std::string AuthCacheSettings::to_string() const {
    return types() + " " + std::to_string(seconds) + "s";
}

}  // namespace proxycfg
