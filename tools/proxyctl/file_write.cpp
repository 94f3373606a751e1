#include "file_write.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "proxycfg/util.hpp"

namespace proxyctl {
namespace {

bool write_all(int fd, const std::string& text) {
    for (std::size_t done = 0; done < text.size();) {
        ssize_t n = ::write(fd, text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        done += static_cast<std::size_t>(n);
    }
    return true;
}

}  // namespace

bool replace_file(const std::string& path, const std::string& text, std::string& error) {
    std::error_code ec;
    std::filesystem::path target = std::filesystem::canonical(path, ec);
    if (ec) {
        error = ec.message();
        return false;
    }
    struct stat st {};
    if (::stat(target.c_str(), &st) != 0) {
        error = std::strerror(errno);
        return false;
    }
    std::string temp = target.string() + ".proxyctl-XXXXXX";
    // Closed on every path out, so a failed write leaves no descriptor behind.
    proxycfg::UniqueFd fd(::mkstemp(temp.data()));
    if (fd.get() < 0) {
        error = std::string("cannot create a file next to it: ") + std::strerror(errno);
        return false;
    }
    // A file that would change hands (another user's file, rewritten by this one) is
    // refused rather than silently taken over.
    if (::fchown(fd.get(), st.st_uid, st.st_gid) != 0) {
        error = std::string("cannot keep its owner: ") + std::strerror(errno);
        ::unlink(temp.c_str());
        return false;
    }
    bool ok = ::fchmod(fd.get(), st.st_mode & 07777) == 0;
    ok = ok && write_all(fd.get(), text);
    ok = ok && ::fsync(fd.get()) == 0;
    ok = ::close(fd.release()) == 0 && ok;
    ok = ok && ::rename(temp.c_str(), target.c_str()) == 0;
    if (!ok) {
        error = std::strerror(errno);
        ::unlink(temp.c_str());
    }
    return ok;
}

}  // namespace proxyctl
