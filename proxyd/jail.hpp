// `chroot DIR`: the directory proxyd confines itself to once its ports, pidfile and
// control socket are open, and how it names files from then on.
#pragma once

#include <string>

namespace proxyd {

class Jail {
  public:
    // `dir` as the configuration writes it (relative: to the current directory, as for
    // chroot(2)); empty: no jail.
    explicit Jail(const std::string& dir);
    bool active() const { return !dir_.empty(); }
    const std::string& dir() const { return dir_; }
    // The path by which the process reaches `host_path` from inside the jail: the jail's
    // prefix stripped. A path outside the jail is returned as it is; inside the jail it
    // names another file, or none.
    std::string inside(const std::string& host_path) const;
    // chroot(2) and chdir("/"); false with `error` set when either fails.
    bool enter(std::string& error) const;

  private:
    std::string dir_;  // canonical, without a trailing slash ("/" stays "/")
};

}  // namespace proxyd
