// One epoll event loop, run by one worker thread. Everything registered with a loop is
// touched only from that loop's thread; other threads talk to it through post().
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <utility>
#include <vector>

#include "fd.hpp"

namespace proxyd {

using Clock = std::chrono::steady_clock;

class IoHandler {
  public:
    virtual void on_io(std::uint32_t events) = 0;

  protected:
    ~IoHandler() = default;
};

class EventLoop {
  public:
    EventLoop();
    EventLoop(const EventLoop&) = delete;
    EventLoop& operator=(const EventLoop&) = delete;

    // Registration. The handler must stay alive until the fd is removed or closed, and
    // (because one epoll_wait batch may still hold its pointer) until the batch ends:
    // owners destroy handlers from the end_of_batch hook, never in the middle of one.
    bool add(int fd, std::uint32_t events, IoHandler* handler);
    bool modify(int fd, std::uint32_t events, IoHandler* handler);
    void remove(int fd);

    // Thread-safe: runs `task` on the loop thread at its next wake-up.
    void post(std::function<void()> task);

    // Called on the loop thread about every `period` (timeouts are swept, not scheduled
    // one by one: thousands of idle sessions cost one pass per tick and no heap churn).
    void set_tick(std::chrono::milliseconds period, std::function<void()> on_tick);
    // One-shot timers, for the few things that must wake between ticks (a throttled
    // relay resuming). The id cancels it; cancelling a timer that has run is harmless.
    using TimerId = std::pair<Clock::time_point, std::uint64_t>;
    TimerId schedule(Clock::time_point when, std::function<void()> fn);
    void cancel(const TimerId& id) { timers_.erase(id); }

    // Called after every batch of events: the safe point to destroy finished sessions.
    void set_end_of_batch(std::function<void()> hook) { end_of_batch_ = std::move(hook); }

    void run();   // until stop()
    void stop();  // thread-safe
    Clock::time_point now() const { return now_; }

  private:
    struct WakeupHandler final : IoHandler {
        explicit WakeupHandler(EventLoop& l) : loop(l) {}
        void on_io(std::uint32_t) override { loop.drain_posted(); }
        EventLoop& loop;
    };
    void drain_posted();
    void run_timers();

    UniqueFd epoll_;
    UniqueFd wakeup_;  // eventfd that post() and stop() write to
    WakeupHandler wakeup_handler_{*this};
    std::mutex posted_mutex_;
    std::vector<std::function<void()>> posted_;
    std::function<void()> on_tick_;
    std::function<void()> end_of_batch_;
    std::chrono::milliseconds tick_period_{1000};
    Clock::time_point next_tick_;
    std::map<TimerId, std::function<void()>> timers_;
    std::uint64_t next_timer_ = 0;
    Clock::time_point now_ = Clock::now();
    bool running_ = false;
};

}  // namespace proxyd
