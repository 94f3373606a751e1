# Run by the install step (cmake/Install.cmake): gzips every page of PROXY_MAN_SECTIONS
# found in PROXY_MAN_SOURCE (gzip -n9: no name, no timestamp) and installs it under
# PROXY_MANDIR/man<section>.
if(IS_ABSOLUTE "${PROXY_MANDIR}")
  set(mandir "${PROXY_MANDIR}")
else()
  set(mandir "${CMAKE_INSTALL_PREFIX}/${PROXY_MANDIR}")
endif()
# One staging directory per destination: installs to different prefixes may run at once.
string(MD5 key "$ENV{DESTDIR}|${CMAKE_INSTALL_PREFIX}")
foreach(section IN LISTS PROXY_MAN_SECTIONS)
  file(GLOB pages "${PROXY_MAN_SOURCE}/*.${section}")
  set(staging "${PROXY_MAN_STAGING}/${key}/man${section}")
  file(MAKE_DIRECTORY "${staging}")
  foreach(page IN LISTS pages)
    get_filename_component(name "${page}" NAME)
    execute_process(COMMAND gzip -n9 -c "${page}" OUTPUT_FILE "${staging}/${name}.gz"
                    RESULT_VARIABLE status)
    if(NOT status EQUAL 0)
      message(FATAL_ERROR "gzip ${page}: ${status}")
    endif()
    file(INSTALL DESTINATION "${mandir}/man${section}" TYPE FILE FILES "${staging}/${name}.gz")
  endforeach()
endforeach()
