#include "load/project_loader.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>

#include "load/documents.h"
#include "load/loops.h"
#include "load/vars.h"
#include "model/parallel.h"

namespace gw {

namespace fs = std::filesystem;

EnvLookup process_env() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (!v) return std::nullopt;
    return std::string(v);
  };
}

namespace {

/// The `*.yaml` / `*.yml` entries of a folder, sorted. Every entry with such a name is listed,
/// whatever it is: reading it reports a folder, FIFO, device, dangling symlink or symlink loop
/// by name instead of skipping it silently.
std::vector<std::string> yaml_files(const std::string& dir, const std::string& what,
                                    bool must_exist, Diagnostics& diags) {
  std::vector<std::string> out;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    if (must_exist) diags.error({dir, 0, 0}, what + " folder not found");
    return out;
  }
  fs::directory_iterator it(dir, ec);
  for (; !ec && it != fs::directory_iterator(); it.increment(ec)) {
    const fs::path& p = it->path();
    auto ext = p.extension().string();
    if (ext == ".yaml" || ext == ".yml") out.push_back(p.lexically_normal().string());
  }
  if (ec) diags.error({dir, 0, 0}, "cannot list the " + what + " folder: " + ec.message());
  std::sort(out.begin(), out.end());
  return out;
}

/// The folder of a normal absolute file path (what yaml_files lists).
std::string folder_of(const std::string& file) {
  size_t slash = file.rfind('/');
  return slash == 0 ? "/" : file.substr(0, slash);
}

/// What one loader thread produced from its share of the stage files.
struct StageBatch {
  std::vector<std::optional<Stage>> stages;  // one per file, in file order
  FileTable files;
  Diagnostics diags;
};

void load_stages(const std::vector<std::string>& dirs, bool must_exist, Project& p,
                 Diagnostics& diags) {
  std::vector<std::string> files;
  for (const auto& dir : dirs)
    for (auto& f : yaml_files(dir, "stages", must_exist, diags)) files.push_back(std::move(f));
  // Files are independent: parse and read them on every core, then merge in file order.
  const fs::path cwd = fs::current_path();
  size_t threads = worker_count(files.size());
  std::vector<StageBatch> batches(threads);
  for (auto& b : batches) b.stages.reserve((files.size() + threads - 1) / threads);
  parallel_for(files.size(), threads, [&](size_t w, size_t i) {
    StageBatch& b = batches[w];
    std::string shown = display_path(files[i], cwd.string());
    auto root = parse_yaml_file(shown, b.diags);
    b.stages.push_back(
        root ? read_stage({shown, folder_of(files[i])}, root->root(), b.diags, b.files)
             : std::nullopt);
  });

  std::map<std::string, SourceLoc> seen;
  p.stages.reserve(p.stages.size() + files.size());
  for (size_t i = 0; i < files.size(); ++i) {
    auto& st = batches[i % threads].stages[i / threads];
    if (!st) continue;
    if (auto [it, fresh] = seen.emplace(st->name, st->loc); !fresh) {
      diags.error(st->loc, "duplicate stage name '" + st->name + "' (first defined at " +
                               it->second.str() + ")");
      continue;
    }
    p.stages.push_back(std::move(*st));
  }
  for (auto& b : batches) {
    b.stages = {};  // moved from: free them now
    diags.append(b.diags);
    p.files.merge(b.files);
  }
}

void load_playbooks(const std::vector<std::string>& dirs, bool must_exist, Project& p,
                    Diagnostics& diags) {
  std::map<std::string, SourceLoc> seen;
  for (const auto& dir : dirs) {
    for (const auto& file : yaml_files(dir, "playbooks", must_exist, diags)) {
      std::string shown = display_path(file, fs::current_path().string());
      auto root = parse_yaml_file(shown, diags);
      if (!root) continue;
      auto pb = read_playbook({shown, folder_of(file)}, root->root(), diags, p.files);
      if (!pb) continue;
      if (auto [it, fresh] = seen.emplace(pb->name, pb->loc); !fresh) {
        diags.error(pb->loc, "duplicate playbook name '" + pb->name + "' (first defined at " +
                                 it->second.str() + ")");
        continue;
      }
      p.playbooks.push_back(std::move(*pb));
    }
  }
}

}  // namespace

Project load_project(const LoadOptions& options, Diagnostics& diags) {
  Project p;
  auto inv = read_inventory(options.inventory, diags);
  if (!inv) return p;
  p.inventory = std::move(*inv);
  bool stages_from_inventory = !p.inventory.stage_dirs.empty();
  std::vector<std::string> stage_dirs = p.inventory.stage_dirs;
  if (!stages_from_inventory)
    stage_dirs.push_back(
        fs::absolute(options.stages_dir.empty() ? "." : options.stages_dir).string());
  load_stages(stage_dirs, stages_from_inventory || options.stages_dir_explicit, p, diags);
  bool pb_from_inventory = !p.inventory.playbook_dirs.empty();
  std::vector<std::string> pb_dirs = p.inventory.playbook_dirs;
  if (!pb_from_inventory && !options.playbooks_dir.empty())
    pb_dirs.push_back(fs::absolute(options.playbooks_dir).string());
  load_playbooks(pb_dirs, pb_from_inventory || options.playbooks_dir_explicit, p, diags);
  apply_var_declarations(p, diags);
  expand_project_loops(p, diags);
  check_references(p, options.env ? options.env : process_env(), diags);
  return p;
}

}  // namespace gw
