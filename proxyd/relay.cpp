#include "relay.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>

namespace proxyd {

namespace {
// A larger pipe means fewer splice calls per megabyte on bulk transfers; the kernel
// only commits pages for bytes actually in flight.
constexpr int pipe_capacity = 256 * 1024;
constexpr std::size_t fallback_chunk = 64 * 1024;
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

Relay::Step Relay::pump(Direction& d, std::uint64_t& counter) {
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
                ::shutdown(d.to, SHUT_WR);
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
        if (d.use_splice && ensure_pipe(d)) {
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
            d.use_splice = false;  // not spliceable (e.g. a TLS kernel socket): copy instead
        }
        d.pending.resize(std::min(fallback_chunk, want));
        auto n = ::recv(d.from, d.pending.data(), d.pending.size(), 0);
        if (n < 0) {
            d.pending.clear();
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                if (d.limit) d.limit->release();
                return Step::blocked;
            }
            if (errno == EINTR) continue;
            error_ = errno;
            return Step::failed;
        }
        d.pending.resize(static_cast<std::size_t>(n));
        if (n == 0) d.eof = true;
        if (d.limit) d.limit->consume(d.pending.size());
        if (quota_) charge_quota(d, d.pending.size());
    }
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
    to_upstream_.retry.reset();
    to_client_.retry.reset();
    auto up = pump(to_upstream_, bytes_out);
    if (up == Step::failed) return Status::failed;
    auto down = pump(to_client_, bytes_in);
    if (down == Step::failed) return Status::failed;
    if (up == Step::spent || down == Step::spent) return Status::quota_spent;
    return up == Step::done && down == Step::done ? Status::finished : Status::open;
}

}  // namespace proxyd
