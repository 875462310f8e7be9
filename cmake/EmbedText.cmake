# embed_text(OUTPUT <header> NAME <constant> NAMESPACE <ns> INPUT <file>): compiles a text file (SQL) into a header
# as a string constant, so binaries run from any directory; the build re-runs when the file changes.
function(embed_text)
  cmake_parse_arguments(ARG "" "OUTPUT;NAME;NAMESPACE;INPUT" "" ${ARGN})
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${ARG_INPUT})
  file(READ ${ARG_INPUT} EMBED_TEXT_CONTENT)
  file(RELATIVE_PATH EMBED_TEXT_SOURCE ${CMAKE_SOURCE_DIR} ${ARG_INPUT})
  file(CONFIGURE OUTPUT ${ARG_OUTPUT}
       CONTENT "// Generated from ${EMBED_TEXT_SOURCE} by cmake/EmbedText.cmake. Do not edit.\n#pragma once\nnamespace ${ARG_NAMESPACE} {\ninline constexpr const char ${ARG_NAME}[] = R\"EMBEDDED_TEXT(@EMBED_TEXT_CONTENT@)EMBEDDED_TEXT\";\n}  // namespace ${ARG_NAMESPACE}\n"
       @ONLY)
endfunction()
