#include "relay.hpp"

#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <utility>

namespace proxyd {

namespace {
// A larger pipe means fewer splice calls per megabyte on bulk transfers; the kernel
// only commits pages for bytes actually in flight.
constexpr int pipe_capacity = 256 * 1024;
// Reads up to this size go through a stack buffer with recv/send: for the small messages
// of most connections that is cheaper than a pipe round trip, and a short recv proves the
// socket drained (a short splice does not), which spares the EAGAIN call.
constexpr std::size_t small_read = 16 * 1024;
// Events that say the source may have bytes, a FIN or an error to read.
constexpr std::uint32_t readable_events = EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR | EPOLLPRI;
constexpr std::uint32_t closing_events = EPOLLRDHUP | EPOLLHUP | EPOLLERR | EPOLLPRI;
constexpr std::uint32_t writable_events = EPOLLOUT | EPOLLHUP | EPOLLERR;
}  // namespace

std::optional<PipePair> PipePool::take() {
    if (!idle_.empty()) {
        PipePair p = std::move(idle_.back());
        idle_.pop_back();
        return p;
    }
    int fds[2];
    if (::pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0) return std::nullopt;
    PipePair p{UniqueFd(fds[0]), UniqueFd(fds[1])};
    ::fcntl(fds[1], F_SETPIPE_SZ, pipe_capacity);  // best effort: /proc/sys/fs/pipe-max-size
    return p;
}

void PipePool::give(PipePair pipe) {
    if (idle_.size() < max_idle_) idle_.push_back(std::move(pipe));
}

Relay::~Relay() {
    release_pipe(to_upstream_);
    release_pipe(to_client_);
}

void Relay::release_pipe(Direction& d) {
    if (!d.pipe.read_end) return;
    if (d.in_pipe == 0) {
        pool_.give(std::move(d.pipe));
    }
    d.pipe = {};  // a pipe with bytes still in it is closed, never reused
    d.in_pipe = 0;
}

void Relay::prime(std::string to_upstream, std::string to_client) {
    to_upstream_.pending = std::move(to_upstream);
    to_client_.pending = std::move(to_client);
}

bool Relay::ensure_pipe(Direction& d) {
    if (d.pipe.read_end) return true;
    auto p = pool_.take();
    if (!p) return false;
    d.pipe = std::move(*p);
    return true;
}

Relay::Step Relay::pump(Direction& d, std::uint64_t& counter, bool trust_short) {
    for (;;) {
        while (d.pending_off < d.pending.size()) {
            auto n = ::send(d.to, d.pending.data() + d.pending_off,
                            d.pending.size() - d.pending_off, MSG_NOSIGNAL);
            if (n < 0) {
                if (errno == EAGAIN || errno == EWOULDBLOCK) return Step::blocked;
                if (errno == EINTR) continue;
                error_ = errno;
                return Step::failed;
            }
            d.pending_off += static_cast<std::size_t>(n);
            counter += static_cast<std::uint64_t>(n);
        }
        if (!d.pending.empty()) {
            d.pending.clear();
            d.pending_off = 0;
        }
        while (d.in_pipe > 0) {
            auto n = ::splice(d.pipe.read_end.get(), nullptr, d.to, nullptr, d.in_pipe,
                              SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
            if (n < 0) {
                if (errno == EAGAIN) return Step::blocked;
                if (errno == EINTR) continue;
                error_ = errno;
                return Step::failed;
            }
            d.in_pipe -= static_cast<std::size_t>(n);
            counter += static_cast<std::uint64_t>(n);
        }
        if (d.eof) {
            release_pipe(d);
            if (!d.shut) {
                // With the other way finished too the session closes both sockets now,
                // which sends the FIN anyway.
                if (!finished(other(d))) ::shutdown(d.to, SHUT_WR);
                d.shut = true;
            }
            return Step::done;
        }
        std::size_t want = pipe_capacity;
        if (quota_) {
            auto left = quota_left(d);
            if (left == 0) return Step::spent;
            if (left < want) want = static_cast<std::size_t>(left);
        }
        if (d.limit) {
            // Stop reading: the bytes wait in the kernel and the session wakes on a timer.
            Clock::time_point retry;
            want = d.limit->grant(want, Clock::now(), retry);
            if (want == 0) {
                release_pipe(d);
                d.retry = retry;
                return Step::blocked;
            }
        }
        if (!d.bulk || !d.use_splice) {
            auto step = read_small(d, counter, want, trust_short);
            if (step) return *step;
            continue;
        }
        if (ensure_pipe(d)) {
            auto n = ::splice(d.from, nullptr, d.pipe.write_end.get(), nullptr, want,
                              SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
            if (n > 0) {
                d.in_pipe = static_cast<std::size_t>(n);
                if (d.limit) d.limit->consume(d.in_pipe);
                if (quota_) charge_quota(d, d.in_pipe);
                continue;
            }
            if (n == 0) {
                d.eof = true;
                continue;
            }
            if (errno == EAGAIN) {
                release_pipe(d);  // empty here: the source has nothing more for now
                if (d.limit) d.limit->release();
                return Step::blocked;
            }
            if (errno == EINTR) continue;
            if (errno != EINVAL) {
                error_ = errno;
                return Step::failed;
            }
            release_pipe(d);
        }
        // Not spliceable (e.g. a TLS kernel socket), or no pipe left: copy instead.
        d.use_splice = false;
    }
}

std::optional<Relay::Step> Relay::read_small(Direction& d, std::uint64_t& counter,
                                             std::size_t want, bool trust_short) {
    std::array<char, small_read> buffer;
    std::size_t ask = std::min(buffer.size(), want);
    ssize_t n;
    do {
        n = ::recv(d.from, buffer.data(), ask, 0);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK) {
            error_ = errno;
            return Step::failed;
        }
        if (d.limit) d.limit->release();
        return Step::blocked;
    }
    if (n == 0) {
        d.eof = true;
        return std::nullopt;
    }
    auto got = static_cast<std::size_t>(n);
    if (d.limit) d.limit->consume(got);
    if (quota_) charge_quota(d, got);
    // The source's last bytes before its FIN (a short read once the FIN is queued): the
    // next read is the EOF, in this same pump, and the shutdown or close it brings sends
    // the FIN with these bytes in one segment rather than two, a wakeup less for the
    // peer. Not under a limit or quota, which may stop this direction before that read.
    int more = d.fin_queued && got < ask && !d.limit && !quota_ ? MSG_MORE : 0;
    std::size_t sent = 0;
    while (sent < got) {
        auto w = ::send(d.to, buffer.data() + sent, got - sent, MSG_NOSIGNAL | more);
        if (w < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) break;
            error_ = errno;
            return Step::failed;
        }
        sent += static_cast<std::size_t>(w);
        counter += static_cast<std::uint64_t>(w);
    }
    if (sent < got) {
        // The rest waits for the sink's next EPOLLOUT.
        d.pending.assign(buffer.data() + sent, got - sent);
        d.pending_off = 0;
        return Step::blocked;
    }
    if (got == buffer.size()) {
        d.bulk = true;  // a full buffer: a stream, spliced from now on
    } else if (got < ask && trust_short && !d.closing) {
        if (d.limit) d.limit->release();
        return Step::blocked;  // drained: the next byte or FIN brings a new edge
    }
    return std::nullopt;
}

std::uint64_t Relay::quota_left(const Direction& d) const {
    return std::min(quota_->both, &d == &to_client_ ? quota_->to_client : quota_->to_upstream);
}

void Relay::charge_quota(const Direction& d, std::size_t bytes) {
    auto take = [bytes](std::uint64_t& left) { left -= std::min<std::uint64_t>(left, bytes); };
    take(quota_->both);
    take(&d == &to_client_ ? quota_->to_client : quota_->to_upstream);
}

std::optional<Clock::time_point> Relay::throttled_until() const {
    const auto& a = to_upstream_.retry;
    const auto& b = to_client_.retry;
    if (a && b) return std::min(*a, *b);
    return a ? a : b;
}

Relay::Status Relay::pump(std::uint64_t& bytes_out, std::uint64_t& bytes_in) {
    std::uint32_t client = std::exchange(sides_[0], 0);
    std::uint32_t upstream = std::exchange(sides_[1], 0);
    if (client & closing_events) to_upstream_.closing = true;
    if (upstream & closing_events) to_client_.closing = true;
    if ((client & (EPOLLRDHUP | EPOLLERR)) == EPOLLRDHUP) to_upstream_.fin_queued = true;
    if ((upstream & (EPOLLRDHUP | EPOLLERR)) == EPOLLRDHUP) to_client_.fin_queued = true;
    // A direction runs when its source may have something to read (or is not known), or
    // its sink has room again for bytes it holds; otherwise it stays as it was (blocked
    // on its source, or done).
    auto run = [&](Direction& d, std::uint64_t& counter, std::uint32_t from, std::uint32_t to) {
        d.retry.reset();
        bool known = (from & known_side) != 0;
        bool readable = !known || (from & readable_events) != 0;
        bool writable = (to & writable_events) != 0 && in_flight(d) > 0;
        if (!readable && !writable) return finished(d) ? Step::done : Step::blocked;
        return pump(d, counter, known);
    };
    auto up = run(to_upstream_, bytes_out, client, upstream);
    if (up == Step::failed) return Status::failed;
    auto down = run(to_client_, bytes_in, upstream, client);
    if (down == Step::failed) return Status::failed;
    if (up == Step::spent || down == Step::spent) return Status::quota_spent;
    return up == Step::done && down == Step::done ? Status::finished : Status::open;
}

}  // namespace proxyd
