# ailab_gpu_probe (bench/system_gpu_probe.cpp) for bench/gpu_check.sh: the system sampler's sources
# only (no spdlog, Boost or OpenSSL), libstdc++ linked in statically, so the executable needs only
# glibc >= 2.34 and libgcc_s.so.1 and runs on a GPU machine it is carried to. libgcc stays shared:
# its static unwinder would need glibc 2.35's _dl_find_object.
add_executable(ailab_gpu_probe ${CMAKE_CURRENT_SOURCE_DIR}/system_gpu_probe.cpp
  ${PROJECT_SOURCE_DIR}/src/system/proc.cpp
  ${PROJECT_SOURCE_DIR}/src/system/sample.cpp
  ${PROJECT_SOURCE_DIR}/src/core/file.cpp
  ${PROJECT_SOURCE_DIR}/src/system/gpu.cpp
  ${PROJECT_SOURCE_DIR}/src/system/sampler.cpp)
target_include_directories(ailab_gpu_probe PRIVATE ${PROJECT_SOURCE_DIR}/src)
target_link_libraries(ailab_gpu_probe PRIVATE ${CMAKE_DL_LIBS})
if(NOT AILAB_SANITIZE)
  target_link_options(ailab_gpu_probe PRIVATE -static-libstdc++)
endif()
