#include "control/gateway.hpp"

#include <cstdio>
#include <random>

namespace proxyd {

namespace {

std::string random_token() {
    std::random_device device;  // the kernel's random source
    std::string token;
    char hex[9];
    for (int i = 0; i < 4; ++i) {
        std::snprintf(hex, sizeof hex, "%08x", static_cast<unsigned>(device()));
        token += hex;
    }
    return token;
}

}  // namespace

ControlGateway::ControlGateway(EventLoop& control_loop, control_cmd::Context& context)
    : loop_(control_loop), context_(context), csrf_token_(random_token()) {}

void ControlGateway::ask(Work work, EventLoop& back, Reply reply) {
    loop_.post([this, work = std::move(work), &back, reply = std::move(reply)]() mutable {
        nlohmann::json result = work(context_);
        back.post([reply = std::move(reply), result = std::move(result)]() mutable {
            reply(std::move(result));
        });
    });
}

void ControlGateway::command(std::string name, nlohmann::json args, EventLoop& back, Reply reply) {
    ask(
        [name = std::move(name), args = std::move(args)](control_cmd::Context& c) {
            return control_cmd::run(c, name, args);
        },
        back, std::move(reply));
}

}  // namespace proxyd
