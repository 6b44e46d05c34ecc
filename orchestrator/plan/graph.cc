#include "plan/graph.h"

#include <algorithm>
#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/depth_first_search.hpp>
#include <boost/graph/topological_sort.hpp>

#include "model/names.h"

namespace gw {

namespace {

using Graph = boost::adjacency_list<boost::vecS, boost::vecS, boost::directedS>;
using Vertex = boost::graph_traits<Graph>::vertex_descriptor;
using Edge = boost::graph_traits<Graph>::edge_descriptor;

/// Records the DFS tree and the first back edge found (which closes a cycle).
struct CycleFinder : boost::default_dfs_visitor {
  std::vector<Vertex>* parent;
  std::optional<std::pair<Vertex, Vertex>>* back;
  void tree_edge(Edge e, const Graph& g) const {
    (*parent)[boost::target(e, g)] = boost::source(e, g);
  }
  void back_edge(Edge e, const Graph& g) const {
    if (!*back) *back = std::make_pair(boost::source(e, g), boost::target(e, g));
  }
};

}  // namespace

std::optional<size_t> StageGraph::index(const std::string& name) const {
  auto it = index_.find(name);
  if (it == index_.end()) return std::nullopt;
  return it->second;
}

std::optional<StageGraph> StageGraph::build(const std::vector<Stage>& stages, Diagnostics& diags) {
  StageGraph sg;
  size_t n = stages.size();
  sg.names_.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    sg.names_.push_back(stages[i].name);
    sg.index_.emplace(stages[i].name, i);
  }
  sg.needs_.resize(n);
  sg.dependents_.resize(n);
  // Edges point from a stage to what it needs, so a DFS back edge walks a "needs" cycle.
  Graph g(n);
  bool ok = true;
  for (size_t i = 0; i < n; ++i) {
    for (const auto& need : stages[i].needs) {
      auto j = sg.index(need.name);
      if (!j) {
        std::string msg = "stage '" + stages[i].name + "' needs unknown stage '" + need.name + "'";
        if (auto m = closest_match(need.name, sg.names_)) msg += " (did you mean '" + *m + "'?)";
        diags.error(need.loc, msg);
        ok = false;
        continue;
      }
      if (std::find(sg.needs_[i].begin(), sg.needs_[i].end(), *j) != sg.needs_[i].end()) continue;
      sg.needs_[i].push_back(*j);
      sg.dependents_[*j].push_back(i);
      boost::add_edge(i, *j, g);
    }
  }
  if (!ok) return std::nullopt;

  std::vector<Vertex> parent(n, n);
  std::optional<std::pair<Vertex, Vertex>> back;
  CycleFinder vis;
  vis.parent = &parent;
  vis.back = &back;
  std::vector<boost::default_color_type> colors(n);
  boost::depth_first_search(g, boost::visitor(vis).color_map(boost::make_iterator_property_map(
                                   colors.begin(), boost::get(boost::vertex_index, g))));
  if (back) {
    // back = (u, v): v is an ancestor of u in the DFS tree; the cycle is v -> … -> u -> v.
    auto [u, v] = *back;
    std::vector<Vertex> path{u};
    while (path.back() != v) path.push_back(parent[path.back()]);
    std::reverse(path.begin(), path.end());
    std::string msg = "cycle: ";
    for (auto x : path) msg += stages[x].name + " -> ";
    msg += stages[v].name + " (";
    for (size_t k = 0; k < path.size(); ++k) {
      Vertex from = path[k], to = k + 1 < path.size() ? path[k + 1] : v;
      for (const auto& need : stages[from].needs)
        if (need.name == stages[to].name)
          msg += (k ? ", " : "") + stages[from].name + " needs " + stages[to].name + " at " +
                 need.loc.str();
    }
    msg += ")";
    const auto& first = stages[path[0]];
    SourceLoc at = first.loc;
    for (const auto& need : first.needs)
      if (need.name == stages[path.size() > 1 ? path[1] : v].name) at = need.loc;
    diags.error(at, msg);
    return std::nullopt;
  }
  // topological_sort on needs-edges yields needed stages first.
  boost::topological_sort(g, std::back_inserter(sg.topo_));
  return sg;
}

namespace {

/// The vertices reachable from `roots` along `edges` (roots included).
std::vector<bool> reachable(const std::vector<std::vector<size_t>>& edges,
                            const std::vector<size_t>& roots) {
  std::vector<bool> in(edges.size(), false);
  std::vector<size_t> todo(roots.begin(), roots.end());
  while (!todo.empty()) {
    size_t v = todo.back();
    todo.pop_back();
    if (in[v]) continue;
    in[v] = true;
    for (size_t w : edges[v]) todo.push_back(w);
  }
  return in;
}

}  // namespace

std::vector<bool> StageGraph::closure(const std::vector<size_t>& roots) const {
  return reachable(needs_, roots);
}

std::vector<bool> StageGraph::dependents_closure(const std::vector<size_t>& roots) const {
  return reachable(dependents_, roots);
}

}  // namespace gw
