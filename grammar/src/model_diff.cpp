#include "proxycfg/model_diff.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "proxycfg/recheck.hpp"
#include "proxycfg/render.hpp"
#include "proxycfg/util.hpp"

namespace proxycfg {
namespace {

using Kind = ModelChange::Kind;

std::string listener_key(const Service& s) {
    return std::string(to_string(s.type)) + " " +
           (s.listens_everywhere() ? std::string("*") : s.bind_address.value) + ":" +
           std::to_string(s.port.value);
}

std::vector<std::string> rendered_acl(const Service& s) {
    std::vector<std::string> out;
    for (const auto& e : s.acl.entries()) {
        std::string line = render_acl_entry(e);
        // The parents an entry chains through are part of what it does (a redirect's one
        // is in its own line already); passwords stay out of diffs.
        for (std::size_t i = e.action == AclAction::redirect ? 1 : 0; i < e.parents.size(); ++i) {
            const auto& p = e.parents[i];
            line += " / parent " + std::to_string(p.weight) + " " + p.type + " " + p.host + " " +
                    std::to_string(p.port);
            if (!p.user.empty()) line += " " + p.user;
        }
        out.push_back(std::move(line));
    }
    return out;
}

class Differ {
  public:
    Differ(const Model& a, const Model& b) : a_(a), b_(b) {}

    std::vector<ModelChange> run() {
        listeners();
        services();
        users();
        globals();
        return std::move(out_);
    }

  private:
    const Model& a_;
    const Model& b_;
    std::vector<ModelChange> out_;

    void add(Kind k, std::string area, std::string_view subject, std::string before,
             std::string after, SourceSpan span = {}) {
        out_.push_back(
            {k, std::move(area), std::string(subject), std::move(before), std::move(after), span});
    }

    void listeners() {
        std::set<std::string> before, after;
        for (const auto& s : a_.services) before.insert(listener_key(s));
        for (const auto& s : b_.services) after.insert(listener_key(s));
        for (const auto& k : before)
            if (!after.count(k)) add(Kind::removed, "listener", k, k, "");
        for (const auto& s : b_.services) {
            auto k = listener_key(s);
            if (!before.count(k)) add(Kind::added, "listener", k, "", k, s.span);
        }
    }

    void services() {
        for (const auto& s : a_.services)
            if (!find_service(b_, s.label))
                add(Kind::removed, "service", s.label, std::string(s.label), "");
        for (const auto& n : b_.services) {
            const Service* o = find_service(a_, n.label);
            if (!o) {
                add(Kind::added, "service", n.label, "", std::string(n.label), n.span);
                continue;
            }
            if (o->auth.value != n.auth.value)
                add(Kind::changed, "auth", n.label, render_auth(o->auth.value),
                    render_auth(n.auth.value), n.auth.span);
            if (o->force().value != n.force().value)
                add(Kind::changed, "force", n.label, o->force().value ? "force" : "noforce",
                    n.force().value ? "force" : "noforce", n.force().span);
            if (o->maxconn.value != n.maxconn.value)
                add(Kind::changed, "maxconn", n.label, std::to_string(o->maxconn.value),
                    std::to_string(n.maxconn.value), n.maxconn.span);
            if (o->map_host != n.map_host || o->map_port != n.map_port)
                add(Kind::changed, "target", n.label, host_port(o->map_host, o->map_port),
                    host_port(n.map_host, n.map_port), n.span);
            if (o->external_v4().value != n.external_v4().value)
                add(Kind::changed, "external", n.label, o->external_v4().value,
                    n.external_v4().value, n.external_v4().span);
            acl(*o, n);
        }
    }

    void acl(const Service& o, const Service& n) {
        auto before = rendered_acl(o), after = rendered_acl(n);
        if (before == after) return;
        // Entries present on one side only; order changes show as removed + added.
        std::multiset<std::string> left(before.begin(), before.end());
        auto entries = n.acl.entries();
        for (std::size_t i = 0; i < after.size(); ++i) {
            auto it = left.find(after[i]);
            if (it != left.end()) {
                left.erase(it);
                continue;
            }
            add(Kind::added, "acl", n.label, "", after[i], entries[i].span());
        }
        for (const auto& r : left) add(Kind::removed, "acl", n.label, r, "");
        if (left.empty() && before.size() == after.size())
            add(Kind::changed, "acl", n.label,
                "order of " + std::to_string(before.size()) + " entries", "new order", n.span);
    }

    void users() {
        std::vector<const User*> users = a_.effective_users();
        auto by_name = [](const User* x, const User* y) { return x->name() < y->name(); };
        std::sort(users.begin(), users.end(), by_name);
        for (const User* up : users) {
            const User& u = *up;
            std::string name(u.name());
            const User* v = b_.find_user(name);
            if (!v) {
                add(Kind::removed, "user", name, std::string(to_string(u.type)), "");
            } else if (v->type != u.type || v->secret() != u.secret()) {
                add(Kind::changed, "user", name, "password", "password changed", v->span());
            }
        }
        users.clear();
        for (const User* v : b_.effective_users())
            if (!a_.find_user(v->name())) users.push_back(v);
        std::sort(users.begin(), users.end(), by_name);
        for (const User* v : users)
            add(Kind::added, "user", std::string(v->name()), "", std::string(to_string(v->type)),
                v->span());
    }

    void globals() {
        const auto& ga = a_.globals;
        const auto& gb = b_.globals;
        if (ga.timeouts.value.values != gb.timeouts.value.values) {
            auto render = [](const Timeouts& t) {
                std::string s;
                for (auto v : t.values) {
                    if (!s.empty()) s.push_back(' ');
                    s += std::to_string(v);
                }
                return s;
            };
            add(Kind::changed, "global", "timeouts", render(ga.timeouts.value),
                render(gb.timeouts.value), gb.timeouts.span);
        }
        if (ga.log_target.value != gb.log_target.value)
            add(Kind::changed, "global", "log", ga.log_target.value, gb.log_target.value,
                gb.log_target.span);
        auto ns = [](const Globals& g) {
            std::string s;
            for (const auto& n : g.nservers) {
                if (!s.empty()) s.push_back(' ');
                s += n.value;
            }
            return s;
        };
        if (ns(ga) != ns(gb)) add(Kind::changed, "global", "nserver", ns(ga), ns(gb));
        limits();
    }

    // The global limit lists, line by line, by the key that carries a budget or a count
    // across a reload: a line whose key stays is "changed" when only its value moves.
    template <typename Line, typename Value>
    void limit_list(const char* area, const std::vector<Line>& before,
                    const std::vector<Line>& after, Value value) {
        std::map<std::string, const Line*> old;
        for (const auto& l : before) old.emplace(l.key, &l);
        for (const auto& l : after) {
            auto it = old.find(l.key);
            if (it == old.end()) {
                add(Kind::added, area, l.key, "", value(l), span_of(l));
                continue;
            }
            if (value(*it->second) != value(l))
                add(Kind::changed, area, l.key, value(*it->second), value(l), span_of(l));
            old.erase(it);
        }
        for (const auto& [key, l] : old) add(Kind::removed, area, key, value(*l), "");
    }
    static SourceSpan span_of(const ConnLimit& l) { return l.match.span(); }
    static SourceSpan span_of(const BandLimit& l) { return l.acl.span(); }
    static SourceSpan span_of(const TrafficCounter& l) { return l.acl.span(); }

    void limits() {
        const auto& ga = a_.globals;
        const auto& gb = b_.globals;
        limit_list("connlim", ga.connlims, gb.connlims, [](const ConnLimit& l) {
            return l.exception ? std::string("exception")
                               : std::to_string(l.rate) + " per " +
                                     (l.period == 0 ? std::string("concurrent")
                                                    : std::to_string(l.period) + "s");
        });
        limit_list("bandlim", ga.bandlimits, gb.bandlimits, [](const BandLimit& l) {
            return l.exception ? std::string("exception") : std::to_string(l.rate) + " bps";
        });
        // A kept counter keeps its count; an added one starts from zero.
        limit_list("counter", ga.counters, gb.counters, [](const TrafficCounter& l) {
            if (l.exception) return std::string("exception");
            std::string v = "limit " + std::to_string(l.limit / (1024 * 1024)) + " MiB";
            if (!l.comment.empty()) v += ", comment '" + l.comment + "'";
            return v;
        });
        const auto& fa = ga.counter_file.value;
        const auto& fb = gb.counter_file.value;
        auto file = [](const CounterFile& f) {
            std::string v = f.path;
            if (!f.report.empty())
                v += " " + std::string(to_string(f.report_period)) + " report " + f.report;
            return v;
        };
        if (file(fa) != file(fb))
            add(Kind::changed, "global", "counter", file(fa), file(fb), gb.counter_file.span);
    }
};

}  // namespace

std::string_view to_string(ModelChange::Kind k) {
    switch (k) {
        case Kind::added:
            return "added";
        case Kind::removed:
            return "removed";
        case Kind::changed:
            return "changed";
    }
    return "changed";
}

std::vector<ModelChange> diff_models(const Model& before, const Model& after) {
    return Differ(before, after).run();
}

}  // namespace proxycfg
