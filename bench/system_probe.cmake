# ailab_gpu_probe (bench/system_gpu_probe.cpp) for bench/gpu_check.sh: the system sampler's sources
# only (no spdlog, Boost or OpenSSL), libstdc++ and libgcc linked in statically, so the executable
# needs nothing but glibc >= 2.34 and runs on a GPU machine the build folder is carried to.
add_executable(ailab_gpu_probe ${CMAKE_CURRENT_SOURCE_DIR}/system_gpu_probe.cpp
  ${PROJECT_SOURCE_DIR}/src/system/proc.cpp
  ${PROJECT_SOURCE_DIR}/src/system/gpu.cpp
  ${PROJECT_SOURCE_DIR}/src/system/sampler.cpp)
target_include_directories(ailab_gpu_probe PRIVATE ${PROJECT_SOURCE_DIR}/src)
target_link_libraries(ailab_gpu_probe PRIVATE ${CMAKE_DL_LIBS})
if(NOT AILAB_SANITIZE)
  target_link_options(ailab_gpu_probe PRIVATE -static-libstdc++ -static-libgcc)
endif()
