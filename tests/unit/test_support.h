#pragma once
// Helpers shared by the unit tests.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "model/project.h"

namespace gwtest {

/// A fresh temporary folder, removed with everything in it when the object goes.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "gwtest-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

  /// Writes `content` to a file below the folder, creating parent folders.
  std::filesystem::path write(const std::string& rel, const std::string& content) const {
    auto p = path_ / rel;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p) << content;
    return p;
  }

 private:
  std::filesystem::path path_;
};

/// A `run` step with argv [arg].
inline gw::Step run_step(const std::string& name, const std::string& arg = "true") {
  gw::Step s;
  s.name = name;
  s.kind = gw::StepKind::Run;
  s.body.lists["argv"] = {gw::Text{arg, {}}};
  s.dir = "/tmp";
  return s;
}

/// A project from "stage:need1,need2" specs; each stage gets `steps` run steps.
inline gw::Project project_of(const std::vector<std::string>& specs, int steps = 1) {
  gw::Project p;
  p.inventory.name = "unit";
  for (const auto& spec : specs) {
    gw::Stage st;
    auto colon = spec.find(':');
    st.name = spec.substr(0, colon);
    st.file = "stages/" + st.name + ".yaml";
    st.loc = {st.file, 3, 17};
    if (colon != std::string::npos) {
      std::string rest = spec.substr(colon + 1);
      size_t pos = 0;
      while (pos < rest.size()) {
        auto comma = rest.find(',', pos);
        if (comma == std::string::npos) comma = rest.size();
        st.needs.push_back({rest.substr(pos, comma - pos), {st.file, 6, 11}});
        pos = comma + 1;
      }
    }
    for (int i = 0; i < steps; ++i) st.steps.push_back(run_step("s" + std::to_string(i)));
    p.stages.push_back(std::move(st));
  }
  return p;
}

}  // namespace gwtest
