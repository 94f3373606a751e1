# Install layout and the two .deb packages: man pages, shell completions, the systemd unit,
# the logrotate snippet, the example configuration and the Debian documentation files. The
# binaries' own install(TARGETS) rules live in proxyd/ and tools/.
#
# Two components, one package each: `proxyctl` (the linter, its completions, the man pages
# of sections 1 and 5, the example) and `proxyd` (the daemon, proxyd(8), the systemd unit,
# the logrotate snippet). `cmake --install` installs both.
#
#   cmake --install build --prefix /usr      (or DESTDIR=/stage cmake --install build ...)
#   cd build && cpack -G DEB                 proxyctl_<version>-1_<arch>.deb, proxyd_...
include(GNUInstallDirs)

set(PROXYD_SYSTEMD_UNITDIR "lib/systemd/system"
    CACHE STRING "Where the systemd unit goes (relative: under the install prefix)")
# PROXYD_CONTROL_SOCKET (the top-level CMakeLists.txt) is also the binaries' default.
mark_as_advanced(PROXYD_SYSTEMD_UNITDIR)

# Man pages are gzipped when installing (gzip -n9: no name or timestamp, the same bytes
# every time) and globbed then, so pages added after the configure step are installed too.
# Sections 1 and 5 (the command and the file format it checks) go with proxyctl, section 8
# (the daemon) with proxyd.
function(proxy_install_man_pages component)
  install(CODE "
set(PROXY_MAN_SOURCE \"${PROJECT_SOURCE_DIR}/man\")
set(PROXY_MAN_STAGING \"${PROJECT_BINARY_DIR}/man-gz\")
set(PROXY_MANDIR \"${CMAKE_INSTALL_MANDIR}\")
set(PROXY_MAN_SECTIONS \"${ARGN}\")
include(\"${PROJECT_SOURCE_DIR}/cmake/InstallManPages.cmake\")
" COMPONENT ${component})
endfunction()
proxy_install_man_pages(proxyctl 1 5)
proxy_install_man_pages(proxyd 8)

# Each shell looks for a completion under the command's name in its own directory.
install(FILES ${PROJECT_SOURCE_DIR}/completions/proxyctl.bash
        DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions RENAME proxyctl OPTIONAL
        COMPONENT proxyctl)
install(FILES ${PROJECT_SOURCE_DIR}/completions/_proxyctl
        DESTINATION ${CMAKE_INSTALL_DATADIR}/zsh/vendor-completions OPTIONAL COMPONENT proxyctl)
install(FILES ${PROJECT_SOURCE_DIR}/completions/proxyctl.fish
        DESTINATION ${CMAKE_INSTALL_DATADIR}/fish/vendor_completions.d OPTIONAL
        COMPONENT proxyctl)

install(FILES ${PROJECT_SOURCE_DIR}/examples/proxyd.cfg DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples
        COMPONENT proxyctl)
# The rule pages, where PROXY_RULE_DOCS_URL points by default.
install(DIRECTORY ${PROJECT_SOURCE_DIR}/docs/rules/ DESTINATION ${CMAKE_INSTALL_DOCDIR}/rules
        COMPONENT proxyctl FILES_MATCHING PATTERN "*.md")

# Each package's /usr/share/doc/<package>: the machine-readable copyright file and a Debian
# changelog (gzip -n9) for the version built. Its date is the configure time, or
# SOURCE_DATE_EPOCH when set (reproducible builds).
set(PROXY_DEB_RELEASE 1)
set(PROXY_DEB_SOURCE proxyctl)
set(PROXY_DEB_VERSION "${PROJECT_VERSION}-${PROXY_DEB_RELEASE}")
set(CPACK_PACKAGE_CONTACT "proxyctl maintainers <maintainers@proxyctl.invalid>"
    CACHE STRING "Maintainer field of the .deb packages and their changelog")
string(TIMESTAMP PROXY_DEB_DATE "%a, %d %b %Y %H:%M:%S +0000" UTC)
configure_file(${PROJECT_SOURCE_DIR}/contrib/deb/changelog.in
               ${PROJECT_BINARY_DIR}/contrib/deb/changelog.Debian @ONLY)
execute_process(COMMAND gzip -n9 -f ${PROJECT_BINARY_DIR}/contrib/deb/changelog.Debian
                RESULT_VARIABLE gzip_status)
if(NOT gzip_status EQUAL 0)
  message(FATAL_ERROR "gzip of the Debian changelog failed: ${gzip_status}")
endif()
# lintian's overrides, each with its reason, go where lintian looks for them.
foreach(package proxyctl proxyd)
  install(FILES ${PROJECT_SOURCE_DIR}/contrib/deb/copyright
                ${PROJECT_BINARY_DIR}/contrib/deb/changelog.Debian.gz
          DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/doc/${package} COMPONENT ${package})
  install(FILES ${PROJECT_SOURCE_DIR}/contrib/deb/lintian/${package}
          DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/lintian/overrides COMPONENT ${package})
endforeach()

# The unit names the binaries and /etc by absolute path. Those depend on the prefix the
# files are installed under (`cmake --install --prefix`, CPack's /usr), not the one the
# build was configured with, so the unit is configured when it is installed.
install(CODE "
set(PROXYD_UNIT_TEMPLATE \"${PROJECT_SOURCE_DIR}/contrib/systemd/proxyd.service.in\")
set(PROXYD_LOGROTATE \"${PROJECT_SOURCE_DIR}/contrib/logrotate/proxyd\")
set(PROXYD_STAGING \"${PROJECT_BINARY_DIR}/contrib\")
set(PROXYD_BINDIR \"${CMAKE_INSTALL_BINDIR}\")
set(PROXYD_SBINDIR \"${CMAKE_INSTALL_SBINDIR}\")
set(PROXYD_ETCDIR \"${CMAKE_INSTALL_SYSCONFDIR}\")
set(PROXYD_UNITDIR \"${PROXYD_SYSTEMD_UNITDIR}\")
set(PROXYD_CONTROL_SOCKET \"${PROXYD_CONTROL_SOCKET}\")
" COMPONENT proxyd)
install(CODE [[
function(proxyd_full_path out dir)
  if(IS_ABSOLUTE "${dir}")
    set(${out} "${dir}" PARENT_SCOPE)
  else()
    set(${out} "${CMAKE_INSTALL_PREFIX}/${dir}" PARENT_SCOPE)
  endif()
endfunction()
proxyd_full_path(CMAKE_INSTALL_FULL_BINDIR "${PROXYD_BINDIR}")
proxyd_full_path(CMAKE_INSTALL_FULL_SBINDIR "${PROXYD_SBINDIR}")
proxyd_full_path(unitdir "${PROXYD_UNITDIR}")
# GNUInstallDirs' rule: the prefixes / and /usr keep their configuration in /etc.
if(NOT IS_ABSOLUTE "${PROXYD_ETCDIR}" AND CMAKE_INSTALL_PREFIX MATCHES "^/(usr/?)?$")
  set(PROXYD_SYSCONFDIR "/${PROXYD_ETCDIR}")
else()
  proxyd_full_path(PROXYD_SYSCONFDIR "${PROXYD_ETCDIR}")
endif()
set(PROXYD_CONFIG_FILE "${PROXYD_SYSCONFDIR}/proxyd/proxyd.cfg")
# One staging copy per destination: installs to different prefixes may run at once.
string(MD5 key "$ENV{DESTDIR}|${CMAKE_INSTALL_PREFIX}")
set(unit "${PROXYD_STAGING}/unit-${key}/proxyd.service")
configure_file("${PROXYD_UNIT_TEMPLATE}" "${unit}" @ONLY)
file(INSTALL DESTINATION "${unitdir}" TYPE FILE FILES "${unit}")
file(INSTALL DESTINATION "${PROXYD_SYSCONFDIR}/logrotate.d" TYPE FILE FILES "${PROXYD_LOGROTATE}")
]] COMPONENT proxyd)

# ---- CPack: two .deb packages, proxyctl and proxyd ---------------------------------------
set(CPACK_PACKAGE_NAME "proxyctl")
set(CPACK_PACKAGE_VENDOR "proxyctl")
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL proxyctl proxyd)
set(CPACK_DEBIAN_PACKAGE_RELEASE ${PROXY_DEB_RELEASE})
set(CPACK_DEBIAN_PACKAGE_SECTION "net")
set(CPACK_DEBIAN_PACKAGE_PRIORITY "optional")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PROXYCTL_PACKAGE_NAME "proxyctl")
set(CPACK_DEBIAN_PROXYD_PACKAGE_NAME "proxyd")
# The first line of each is the synopsis (under 80 characters); CPack indents the rest
# by one space, and lintian wants every line at most 80 characters with it.
set(CPACK_DEBIAN_PROXYCTL_DESCRIPTION
    "linter for 3proxy-style SOCKS/HTTP proxy configurations
proxyctl checks configurations written in the 3proxy language (the
positional semantics of auth, allow/deny, flush and force included) and
shows the effective model of each service. It needs no daemon, so it runs
in CI pipelines and pre-commit hooks. It also controls a running proxyd:
reload, status, sessions.
.
This package has the proxyctl command, its bash, zsh and fish completions
and the manual pages of the command and of the configuration language.")
set(CPACK_DEBIAN_PROXYD_DESCRIPTION
    "SOCKS/HTTP proxy daemon with checked hot reload (3proxy language)
proxyd serves SOCKS4/4a/5, HTTP proxy, port mapping and mail/FTP login
proxy services from a configuration written in the 3proxy language. A
reload is atomic and re-checks live sessions against the new policy; a
configuration with errors is refused and the running one keeps serving.
.
This package has the daemon, its systemd unit and a logrotate snippet.
The service is not enabled on installation.")
# proxyd's unit reloads through proxyctl, and proxyctl checks what proxyd runs.
set(CPACK_DEBIAN_PROXYD_PACKAGE_DEPENDS "proxyctl (= ${PROXY_DEB_VERSION})")
set(CPACK_PACKAGING_INSTALL_PREFIX "/usr")
# The unit and the logrotate snippet are placed by absolute path (/etc, computed from the
# prefix at install time), so CPack installs with DESTDIR under /usr, not into a fake prefix.
set(CPACK_SET_DESTDIR ON)
set(CPACK_INSTALL_PREFIX "/usr")
set(CPACK_STRIP_FILES ON)
# cpack packages what is built, as `cmake --install` does: it builds the `preinstall`
# target first, which would otherwise build everything, the test suite included.
set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY ON)
find_program(PROXYD_DPKG_SHLIBDEPS dpkg-shlibdeps)
mark_as_advanced(PROXYD_DPKG_SHLIBDEPS)
if(PROXYD_DPKG_SHLIBDEPS)
  set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
else()
  set(CPACK_DEBIAN_PROXYCTL_PACKAGE_DEPENDS "libc6, libcrypt1")
  string(APPEND CPACK_DEBIAN_PROXYD_PACKAGE_DEPENDS
         ", libc6, libc-ares2, libnettle8, libcrypt1, libstdc++6")
endif()
# dpkg keeps an edited logrotate snippet across upgrades only when it is a conffile.
file(WRITE ${PROJECT_BINARY_DIR}/contrib/deb/proxyd/conffiles "/etc/logrotate.d/proxyd\n")
set(CPACK_DEBIAN_PROXYD_PACKAGE_CONTROL_EXTRA ${PROJECT_BINARY_DIR}/contrib/deb/proxyd/conffiles)
include(CPack)
