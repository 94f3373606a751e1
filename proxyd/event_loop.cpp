#include "event_loop.hpp"

#include <sys/epoll.h>
#include <sys/eventfd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

namespace proxyd {

EventLoop::EventLoop()
    : epoll_(::epoll_create1(EPOLL_CLOEXEC)), wakeup_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
    if (!epoll_ || !wakeup_)
        throw std::runtime_error(std::string("event loop: ") + std::strerror(errno));
    add(wakeup_.get(), EPOLLIN, &wakeup_handler_);
    next_tick_ = Clock::now() + tick_period_;
}

bool EventLoop::add(int fd, std::uint32_t events, IoHandler* handler) {
    epoll_event ev{};
    ev.events = events;
    ev.data.ptr = handler;
    return ::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev) == 0;
}

bool EventLoop::modify(int fd, std::uint32_t events, IoHandler* handler) {
    epoll_event ev{};
    ev.events = events;
    ev.data.ptr = handler;
    return ::epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, fd, &ev) == 0;
}

void EventLoop::remove(int fd) {
    ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr);
}

void EventLoop::post(std::function<void()> task) {
    {
        std::lock_guard lock(posted_mutex_);
        posted_.push_back(std::move(task));
    }
    std::uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(wakeup_.get(), &one, sizeof one);
}

void EventLoop::set_tick(std::chrono::milliseconds period, std::function<void()> on_tick) {
    tick_period_ = period;
    on_tick_ = std::move(on_tick);
    next_tick_ = Clock::now() + tick_period_;
}

void EventLoop::stop() {
    post([this] { running_ = false; });
}

void EventLoop::drain_posted() {
    std::uint64_t count = 0;
    [[maybe_unused]] auto n = ::read(wakeup_.get(), &count, sizeof count);
    std::vector<std::function<void()>> tasks;
    {
        std::lock_guard lock(posted_mutex_);
        tasks.swap(posted_);
    }
    for (auto& task : tasks) task();
}

EventLoop::TimerId EventLoop::schedule(Clock::time_point when, std::function<void()> fn) {
    TimerId id{when, ++next_timer_};
    timers_.emplace(id, std::move(fn));
    return id;
}

void EventLoop::run_timers() {
    while (!timers_.empty() && timers_.begin()->first.first <= now_) {
        auto fn = std::move(timers_.begin()->second);
        timers_.erase(timers_.begin());
        fn();
    }
}

void EventLoop::run() {
    running_ = true;
    std::array<epoll_event, 256> events{};
    while (running_) {
        now_ = Clock::now();
        auto wake = next_tick_;
        if (!timers_.empty()) wake = std::min(wake, timers_.begin()->first.first);
        // Rounded up: waking a little early would only spin until the timer is due.
        auto wait_ms = std::chrono::ceil<std::chrono::milliseconds>(wake - now_);
        int timeout = static_cast<int>(std::max<std::int64_t>(0, wait_ms.count()));
        int n = ::epoll_wait(epoll_.get(), events.data(), static_cast<int>(events.size()), timeout);
        now_ = Clock::now();
        if (n < 0 && errno != EINTR) throw std::runtime_error("epoll_wait failed");
        for (int i = 0; i < n; ++i) {
            const auto& ev = events[static_cast<std::size_t>(i)];
            static_cast<IoHandler*>(ev.data.ptr)->on_io(ev.events);
        }
        run_timers();
        if (now_ >= next_tick_) {
            next_tick_ = now_ + tick_period_;
            if (on_tick_) on_tick_();
        }
        if (end_of_batch_) end_of_batch_();
    }
}

}  // namespace proxyd
