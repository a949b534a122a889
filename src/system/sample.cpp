#include "system/sample.hpp"

namespace ailab::sys {

std::string_view gpu_status_name(GpuStatus status) {
    switch (status) {
    case GpuStatus::ok: return "ok";
    case GpuStatus::no_library: return "no library";
    case GpuStatus::no_devices: return "no devices";
    case GpuStatus::error: return "error";
    case GpuStatus::disabled: return "disabled";
    }
    return "error";
}

std::string gpu_status_text(const SystemSample& sample) {
    std::string text(gpu_status_name(sample.gpu_status));
    if (sample.gpu_status == GpuStatus::error && !sample.gpu_status_detail.empty())
        text += ": " + sample.gpu_status_detail;
    return text;
}

}  // namespace ailab::sys
