# Builds ui/ with npm (when AILAB_WITH_UI) and embeds ui/dist into the ailab_ui_assets library:
# tools/embed_assets.py writes a sorted {path, bytes, gzip bytes, etag, mime} table (.cpp) and an
# assembler file that .incbin's the files, both rewritten only when their content changes.
find_package(Python3 REQUIRED COMPONENTS Interpreter)
set(AILAB_UI_DIST ${CMAKE_SOURCE_DIR}/ui/dist)
set(AILAB_EMBED_DIR ${CMAKE_BINARY_DIR}/embedded_ui)

if(AILAB_WITH_UI)
  find_program(NPM npm REQUIRED)
  file(GLOB_RECURSE AILAB_UI_INPUTS CONFIGURE_DEPENDS
       ${CMAKE_SOURCE_DIR}/ui/src/* ${CMAKE_SOURCE_DIR}/ui/index.html ${CMAKE_SOURCE_DIR}/ui/public/*
       ${CMAKE_SOURCE_DIR}/ui/package.json ${CMAKE_SOURCE_DIR}/ui/package-lock.json
       ${CMAKE_SOURCE_DIR}/ui/vite.config.*)
  add_custom_command(
    OUTPUT ${AILAB_EMBED_DIR}/ui_build.stamp
    COMMAND ${CMAKE_SOURCE_DIR}/scripts/build-ui.sh ${CMAKE_SOURCE_DIR}/ui
    COMMAND ${CMAKE_COMMAND} -E make_directory ${AILAB_EMBED_DIR}
    COMMAND ${CMAKE_COMMAND} -E touch ${AILAB_EMBED_DIR}/ui_build.stamp
    DEPENDS ${AILAB_UI_INPUTS}
    WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}/ui
    COMMENT "Building the web UI (npm)"
    VERBATIM)
  set(AILAB_EMBED_SOURCE_DIR ${AILAB_UI_DIST})
  set(AILAB_EMBED_DEPENDS ${AILAB_EMBED_DIR}/ui_build.stamp)
else()
  # Without the UI the binary serves a one-page notice at / instead.
  set(AILAB_EMBED_SOURCE_DIR ${CMAKE_SOURCE_DIR}/cmake/no_ui)
  file(GLOB AILAB_EMBED_DEPENDS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/cmake/no_ui/*)
endif()

add_custom_command(
  OUTPUT ${AILAB_EMBED_DIR}/assets_table.cpp ${AILAB_EMBED_DIR}/assets_blob.S
  COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tools/embed_assets.py ${AILAB_EMBED_SOURCE_DIR} ${AILAB_EMBED_DIR}
  DEPENDS ${AILAB_EMBED_DEPENDS} ${CMAKE_SOURCE_DIR}/tools/embed_assets.py
  COMMENT "Embedding web assets"
  VERBATIM)
add_library(ailab_ui_assets STATIC ${AILAB_EMBED_DIR}/assets_table.cpp ${AILAB_EMBED_DIR}/assets_blob.S)
target_include_directories(ailab_ui_assets PUBLIC ${CMAKE_SOURCE_DIR}/src)
