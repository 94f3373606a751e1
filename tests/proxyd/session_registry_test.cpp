// The registry's count of sessions per drain generation: what a worker's drain deadlines
// and `status`'s pinned generations are built on.
#include "session_registry.hpp"

#include <netinet/in.h>

#include <catch2/catch.hpp>
#include <stdexcept>

#include "access_log.hpp"
#include "proxycfg/diagnostic.hpp"
#include "proxycfg/lint.hpp"
#include "relay.hpp"
#include "session_host.hpp"
#include "socks.hpp"

using namespace proxyd;

namespace {

SnapshotPtr snapshot_of(std::uint64_t generation) {
    auto loaded = proxycfg::load_config_text("registry_test.cfg", "socks -p1080 -i127.0.0.1\n");
    REQUIRE_FALSE(proxycfg::has_errors(loaded.diagnostics));
    auto model = std::make_shared<const proxycfg::Model>(std::move(loaded.model));
    return std::make_shared<ConfigSnapshot>(model, generation, "registry_test.cfg");
}

// Enough of a host to construct sessions that never start: the registry only counts them.
class IdleHost final : public SessionHost {
  public:
    explicit IdleHost(SnapshotPtr config) : config_(std::move(config)) {}
    EventLoop& loop() override { return loop_; }
    Resolver& resolver() override { throw std::logic_error("no lookups here"); }
    PipePool& pipes() override { return pipes_; }
    AccessLog& access_log() override { return log_; }
    const SnapshotPtr& config() const override { return config_; }
    std::uint64_t next_session_id() override { return ++last_id_; }
    void handshake_started(const Session&) override {}
    void handshake_finished(const Session&) override {}
    void retire(Session&) override {}
    void set_config(SnapshotPtr next) { config_ = std::move(next); }
    std::unique_ptr<Session> session() {
        sockaddr_storage peer{};
        peer.ss_family = AF_INET;
        return std::make_unique<SocksSession>(*this, config_, 0, UniqueFd(), peer);
    }

  private:
    SnapshotPtr config_;
    EventLoop loop_;
    PipePool pipes_;
    AccessLog log_;
    std::uint64_t last_id_ = 0;
};

}  // namespace

TEST_CASE("sessions count under their admission generation until held to a later one") {
    IdleHost host(snapshot_of(1));
    SessionRegistry registry;
    auto a = registry.add(host.session()).record().id;
    auto b = registry.add(host.session()).record().id;
    host.set_config(snapshot_of(2));
    auto c = registry.add(host.session()).record().id;
    CHECK(registry.pinning(1) == 2);
    CHECK(registry.pinning(2) == 1);
    CHECK(registry.drain_generation(a) == 1);
    CHECK(registry.ids_pinning(1).size() == 2);

    // A re-check kept `a` under generation 2: it no longer pins 1.
    registry.hold_to(a, 2);
    CHECK(registry.drain_generation(a) == 2);
    CHECK(registry.pinning(1) == 1);
    CHECK(registry.pinning(2) == 2);
    CHECK(registry.ids_pinning(1) == std::vector<std::uint64_t>{b});
    // Never back to an older generation.
    registry.hold_to(a, 1);
    CHECK(registry.drain_generation(a) == 2);

    // The last session of a generation takes its entry with it.
    CHECK(registry.remove(b) != nullptr);
    CHECK(registry.pinning(1) == 0);
    CHECK_FALSE(registry.pins().contains(1));
    CHECK(registry.ids_pinning(1).empty());
    CHECK(registry.remove(a) != nullptr);
    CHECK(registry.remove(c) != nullptr);
    CHECK(registry.pins().empty());
    CHECK(registry.remove(c) == nullptr);
    CHECK(registry.drain_generation(c) == 0);
}
