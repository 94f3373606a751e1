# Install layout and the .deb: man pages, shell completions, the systemd unit, the
# logrotate snippet and the example configuration. The binaries' own install(TARGETS)
# rules live in proxyd/ and tools/.
#
#   cmake --install build --prefix /usr      (or DESTDIR=/stage cmake --install build ...)
#   cd build && cpack -G DEB                 proxyctl_<version>_<arch>.deb
include(GNUInstallDirs)

set(PROXYD_SYSTEMD_UNITDIR "lib/systemd/system"
    CACHE STRING "Where the systemd unit goes (relative: under the install prefix)")
# PROXYD_CONTROL_SOCKET (the top-level CMakeLists.txt) is also the binaries' default.
mark_as_advanced(PROXYD_SYSTEMD_UNITDIR)

# Man pages and completions are globbed when installing, so pages added after the
# configure step are installed too.
foreach(section 1 5 8)
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/man/ DESTINATION ${CMAKE_INSTALL_MANDIR}/man${section}
          FILES_MATCHING PATTERN "*.${section}")
endforeach()

# Each shell looks for a completion under the command's name in its own directory.
install(FILES ${PROJECT_SOURCE_DIR}/completions/proxyctl.bash
        DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions RENAME proxyctl OPTIONAL)
install(FILES ${PROJECT_SOURCE_DIR}/completions/_proxyctl
        DESTINATION ${CMAKE_INSTALL_DATADIR}/zsh/vendor-completions OPTIONAL)
install(FILES ${PROJECT_SOURCE_DIR}/completions/proxyctl.fish
        DESTINATION ${CMAKE_INSTALL_DATADIR}/fish/vendor_completions.d OPTIONAL)

install(FILES ${PROJECT_SOURCE_DIR}/examples/proxyd.cfg DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)

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
")
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
]])

# ---- CPack: one .deb with both programs -------------------------------------------------
set(CPACK_PACKAGE_NAME "proxyctl")
set(CPACK_PACKAGE_VENDOR "proxyctl")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "linter and hot-reloading daemon for 3proxy-style SOCKS/HTTP proxies")
# CPack puts the summary first and indents each of these lines by one space.
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
    "proxyctl checks configurations written in the 3proxy language (the positional
semantics of auth, allow/deny, flush and force included), shows the effective model
of each service, and controls a running proxyd.
.
proxyd serves SOCKS4/4a/5, HTTP proxy and tcppm services from such a configuration,
with atomic hot reload that re-checks live sessions against the new policy.")
set(CPACK_PACKAGE_CONTACT "proxyctl maintainers <maintainers@proxyctl.invalid>"
    CACHE STRING "Maintainer field of the .deb")
set(CPACK_DEBIAN_PACKAGE_SECTION "net")
set(CPACK_DEBIAN_PACKAGE_PRIORITY "optional")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_PACKAGING_INSTALL_PREFIX "/usr")
# The unit and the logrotate snippet are placed by absolute path (/etc, computed from the
# prefix at install time), so CPack installs with DESTDIR under /usr, not into a fake prefix.
set(CPACK_SET_DESTDIR ON)
set(CPACK_INSTALL_PREFIX "/usr")
# cpack packages what is built, as `cmake --install` does; through the project it would
# first build the `preinstall` target, i.e. everything including the test suite.
set(CPACK_INSTALL_CMAKE_PROJECTS "")
# CPACK_STRIP_FILES applies to projects only; the script asks for the same.
file(WRITE ${PROJECT_BINARY_DIR}/contrib/deb/install.cmake
     "set(CMAKE_INSTALL_DO_STRIP 1)\ninclude(\"${PROJECT_BINARY_DIR}/cmake_install.cmake\")\n")
set(CPACK_INSTALL_SCRIPTS ${PROJECT_BINARY_DIR}/contrib/deb/install.cmake)
find_program(PROXYD_DPKG_SHLIBDEPS dpkg-shlibdeps)
mark_as_advanced(PROXYD_DPKG_SHLIBDEPS)
if(PROXYD_DPKG_SHLIBDEPS)
  set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
else()
  set(CPACK_DEBIAN_PACKAGE_DEPENDS "libc6, libc-ares2, libnettle8, libcrypt1, libstdc++6")
endif()
# dpkg keeps an edited logrotate snippet across upgrades only when it is a conffile.
file(WRITE ${PROJECT_BINARY_DIR}/contrib/deb/conffiles "/etc/logrotate.d/proxyd\n")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${PROJECT_BINARY_DIR}/contrib/deb/conffiles)
include(CPack)
