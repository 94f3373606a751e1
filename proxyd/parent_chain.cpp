// Session's parent chains (docs/design.md, "Parent chains"): the deciding ACL entry's
// parents are drawn into a chain (proxycfg::pick_chain), their names resolved, the first
// one connected, and each hop's handshake run over the same socket to reach the next hop,
// the last one reaching the target. Then the session goes on as if connected directly.
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <random>

#include "access_log.hpp"
#include "proxycfg/util.hpp"
#include "resolver.hpp"
#include "session.hpp"

namespace proxyd {

namespace {

constexpr std::size_t max_reply = 64 * 1024;

int roll() {
    thread_local std::mt19937 engine{std::random_device{}()};
    return static_cast<int>(engine() % 1000);
}

std::string hop_name(const proxycfg::Parent& p) {
    return "parent " + proxycfg::host_port(p.host, p.port) + " (" + p.type + ")";
}

}  // namespace

void Session::start_chain() {
    chain_active_ = true;
    phase_ = Phase::chaining;
    chain_dial().handshake.reset();
    chain_dial().in.clear();
    chain_dial().hops.clear();
    chain_dial().hop = 0;
    http_parent_ = nullptr;
    for (const auto* p : proxycfg::pick_chain(*parents_, roll)) {
        auto type = parent::type_info(p->type);
        if (!type) {
            // The linter says so too (PX509): a configuration proxyd was told to run anyway.
            chain_dial().failure = hop_name(*p) + ": proxyd does not serve this parent type";
            chain_attempts_ = 0;
            on_connect_failed(result::parent_failed, EPROTONOSUPPORT);
            return;
        }
        chain_dial().hops.push_back({p, *type, {}});
    }
    chain_.clear();
    for (const auto& h : chain_dial().hops) chain_.push_back(h.parent);
    chain_known_ = true;
    if (chain_dial().hops.empty()) {
        // A group short of 1000 drew nothing: this connection goes direct.
        chain_active_ = false;
        chain_dial().failure.clear();
        phase_ = Phase::connecting;
        candidates_ = chain_dial().target_candidates;
        if (candidates_.empty() && record_.target_address)
            candidates_.push_back(*record_.target_address);
        dial_port_ = record_.target_port;
        next_candidate_ = 0;
        connect_next();
        return;
    }
    for (std::size_t i = 0; i + 1 < chain_dial().hops.size(); ++i) {
        if (chain_dial().hops[i].type.kind == parent::Kind::tcp) {
            chain_dial().failure =
                hop_name(*chain_dial().hops[i].parent) + ": a tcp parent must be the last hop";
            chain_attempts_ = 0;
            on_connect_failed(result::parent_failed, EINVAL);
            return;
        }
    }
    // A final tcp parent is the destination itself; a final http parent takes an HTTP
    // request as it is. Neither needs a handshake.
    const auto& last = chain_dial().hops.back();
    chain_dial().handshakes = chain_dial().hops.size();
    if (last.type.kind == parent::Kind::tcp) {
        chain_dial().handshakes = chain_dial().hops.size() - 1;
    } else if (last.type.kind == parent::Kind::http && forward_to_http_parent_) {
        chain_dial().handshakes = chain_dial().hops.size() - 1;
        http_parent_ = last.parent;
    }
    resolve_hop(0);
}

void Session::resolve_hop(std::size_t index) {
    chain_dial().hop = index;
    if (index == chain_dial().hops.size()) {
        dial_chain();
        return;
    }
    auto& hop = chain_dial().hops[index];
    if (auto literal = proxycfg::IpAddress::parse(hop.parent->host)) {
        hop.addresses = {*literal};
        resolve_hop(index + 1);
        return;
    }
    if (config_->model->globals.fakeresolve.value &&
        !config_->dns_cache->has_static(hop.parent->host)) {
        hop.addresses = {proxycfg::IpAddress::v4(0x7F000002)};
        resolve_hop(index + 1);
        return;
    }
    set_deadline(timeout_of(timeouts().dns()), result::parent_failed);
    lookup_resolver_ = &host_.resolver();
    lookup_ = lookup_resolver_->resolve(hop.parent->host, [this, index](ResolveResult r) {
        lookup_ = 0;
        if (phase_ == Phase::closed) return;
        if (r.addresses.empty()) {
            chain_failed("cannot resolve: " + (r.error.empty() ? "no address" : r.error),
                         EHOSTUNREACH);
            return;
        }
        bool v6_first = service_->ipv6_first;
        std::stable_partition(r.addresses.begin(), r.addresses.end(), [&](const auto& a) {
            return (a.family == proxycfg::IpAddress::Family::v6) == v6_first;
        });
        chain_dial().hops[index].addresses = std::move(r.addresses);
        resolve_hop(index + 1);
    });
}

void Session::dial_chain() {
    chain_dial().hop = 0;
    phase_ = Phase::connecting;
    candidates_ = chain_dial().hops.front().addresses;
    dial_port_ = chain_dial().hops.front().parent->port;
    next_candidate_ = 0;
    connect_next();
}

parent::Destination Session::hop_destination(std::size_t index) const {
    parent::Destination to;
    if (index + 1 < chain_dial_->hops.size()) {
        const auto& next = chain_dial_->hops[index + 1];
        if (!proxycfg::IpAddress::parse(next.parent->host)) to.host = next.parent->host;
        if (!next.addresses.empty()) to.address = next.addresses.front();
        to.port = next.parent->port;
        return to;
    }
    to.host = record_.target_host;
    to.address = record_.target_address;
    to.port = record_.target_port;
    return to;
}

parent::Credentials Session::hop_login(const proxycfg::Parent& p) const {
    // USER `*`: the client's own login goes on to the parent.
    if (p.user == "*") return {record_.user.value_or(""), record_.password.value_or("")};
    return {p.user, p.password};
}

void Session::begin_hop() {
    phase_ = Phase::chaining;
    set_deadline(timeout_of(timeouts().connect()), result::parent_failed);
    const auto& hop = chain_dial().hops[chain_dial().hop];
    chain_dial().handshake = std::make_unique<parent::Handshake>(
        hop.type, hop_destination(chain_dial().hop), hop_login(*hop.parent));
    chain_pump();
}

void Session::chain_pump() {
    for (;;) {
        auto& out = chain_dial().handshake->output();
        while (!out.empty()) {
            auto n = ::send(upstream_.get(), out.data(), out.size(), MSG_NOSIGNAL);
            if (n < 0) {
                if (errno == EINTR) continue;
                if (errno == EAGAIN || errno == EWOULDBLOCK) return;  // EPOLLOUT resumes
                chain_failed(std::strerror(errno), errno);
                return;
            }
            out.erase(0, static_cast<std::size_t>(n));
        }
        auto state = chain_dial().handshake->feed(chain_dial().in);
        if (state == parent::Handshake::State::failed) {
            chain_failed(chain_dial().handshake->error(),
                         chain_dial().handshake->refused() ? ECONNREFUSED : EPROTO);
            return;
        }
        if (state == parent::Handshake::State::done) {
            chain_dial().handshake.reset();
            if (++chain_dial().hop < chain_dial().handshakes) {
                begin_hop();
                return;
            }
            // The tunnel stands: the subclass answers its client as for a direct connect.
            chain_active_ = false;
            phase_ = Phase::connecting;
            on_connected();
            return;
        }
        if (!chain_dial().handshake->output().empty()) continue;
        if (chain_dial().in.size() >= max_reply) {
            chain_failed("reply too long", EPROTO);
            return;
        }
        auto r = read_from(upstream_.get(), chain_dial().in, chain_dial().in.size() + 4096);
        if (r == ReadResult::would_block) return;
        if (r != ReadResult::data) {
            chain_failed(r == ReadResult::eof ? "closed the connection during the handshake"
                                              : std::strerror(errno),
                         ECONNRESET);
            return;
        }
    }
}

void Session::chain_failed(std::string why, int err) {
    if (phase_ == Phase::closed) return;
    const auto* p = chain_dial().hop < chain_dial().hops.size()
                        ? chain_dial().hops[chain_dial().hop].parent
                        : nullptr;
    chain_dial().failure = p ? hop_name(*p) + ": " + why : "parent chain: " + why;
    chain_dial().handshake.reset();
    upstream_.reset();
    chain_dial().in.clear();
    if (--chain_attempts_ > 0) {
        start_chain();  // parentretries: draw a chain again
        return;
    }
    chain_active_ = false;
    on_connect_failed(result::parent_failed, err);
}

}  // namespace proxyd
