#include "listen_sockets.hpp"

#include <fcntl.h>

#include <cerrno>
#include <cstring>

#include "listener.hpp"
#include "proxycfg/util.hpp"

namespace proxyd {

std::vector<std::size_t> served_services(const proxycfg::Model& model) {
    std::vector<std::size_t> out;
    for (const auto& s : model.services)
        if (served(s.type)) out.push_back(s.index);
    return out;
}

ListenSockets::Key ListenSockets::key_of(const proxycfg::Service& service) {
    std::string address = service.bind_address.value;
    if (auto ip = proxycfg::IpAddress::parse(address)) address = ip->to_string();
    if (address.empty()) address = "0.0.0.0";
    return {udp_service(service.type), address, service.port.value};
}

std::string ListenSockets::bind_error(const ListenSockets& next, const proxycfg::Service& service,
                                      const Key& key, int err, const std::string& text) const {
    std::string message = "cannot listen for " + std::string(service.label) + ": " + text;
    if (err != EADDRINUSE) return message;
    // Linux refuses 127.0.0.1:P next to a listening 0.0.0.0:P: say when that other socket
    // is this proxyd's own, so the message does not blame another process.
    for (const auto* table : {&next, this})
        for (const auto& [k, held] : table->sockets_)
            if (k.port == key.port && k.udp == key.udp)
                return message + " (" + held.label + " listens on " + k.address + ":" +
                       std::to_string(k.port) +
                       (table == this ? " until this reload is done: move it in two steps)" : ")");
    return message + " (another process listens on " + key.address + ":" +
           std::to_string(key.port) + ")";
}

std::optional<ListenSockets> ListenSockets::for_model(const proxycfg::Model& model,
                                                      std::string& error) const {
    ListenSockets next;
    for (auto index : served_services(model)) {
        const auto& service = model.services[index];
        Key key = key_of(service);
        if (auto it = next.sockets_.find(key); it != next.sockets_.end()) {
            error = "cannot listen for " + std::string(service.label) + ": " +
                    std::string(it->second.label) + " listens on " +
                    proxycfg::host_port(key.address, key.port) + " already";
            return std::nullopt;
        }
        Held held{{}, std::string(service.label), nullptr};
        if (auto it = sockets_.find(key); it != sockets_.end()) {
            held.udp = it->second.udp;
            held.fd = UniqueFd(::fcntl(it->second.fd.get(), F_DUPFD_CLOEXEC, 0));
            if (!held.fd) {
                error =
                    "cannot listen for " + std::string(service.label) + ": " + std::strerror(errno);
                return std::nullopt;
            }
        } else {
            std::string text;
            int err = 0;
            auto fd = bind_listener(service, text, &err);
            if (!fd) {
                error = bind_error(next, service, key, err, text);
                return std::nullopt;
            }
            held.fd = std::move(*fd);
            if (key.udp) held.udp = std::make_shared<UdpClients>();
        }
        next.sockets_.emplace(std::move(key), std::move(held));
    }
    return next;
}

void ListenSockets::settle(const proxycfg::Model& model) const {
    for (auto index : served_services(model)) {
        const auto& service = model.services[index];
        auto it = sockets_.find(key_of(service));
        if (it != sockets_.end() && !it->first.udp) set_defer_accept(it->second.fd.get(), service);
    }
}

std::optional<std::vector<BoundSocket>> ListenSockets::copies(
    const proxycfg::Model& model, const std::vector<std::size_t>& services,
    std::string& error) const {
    std::vector<BoundSocket> out;
    for (auto index : services) {
        const auto& service = model.services[index];
        auto it = sockets_.find(key_of(service));
        if (it == sockets_.end()) {
            error = "no socket for " + std::string(service.label);
            return std::nullopt;
        }
        UniqueFd fd(::fcntl(it->second.fd.get(), F_DUPFD_CLOEXEC, 0));
        if (!fd) {
            error = "cannot listen for " + std::string(service.label) + ": " + std::strerror(errno);
            return std::nullopt;
        }
        out.push_back({index, std::move(fd), it->second.udp});
    }
    return out;
}

std::optional<ListenSockets::Bound> ListenSockets::bind_for_workers(
    const proxycfg::Model& model, const std::vector<std::size_t>& services, std::size_t workers,
    std::string& error) const {
    auto table = for_model(model, error);
    if (!table) return std::nullopt;
    Bound bound{std::move(*table), std::vector<std::vector<BoundSocket>>(workers)};
    for (auto& sockets : bound.per_worker) {
        auto copies = bound.table.copies(model, services, error);
        if (!copies) return std::nullopt;
        sockets = std::move(*copies);
    }
    return bound;
}

}  // namespace proxyd
