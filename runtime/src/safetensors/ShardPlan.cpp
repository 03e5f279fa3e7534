//===- ShardPlan.cpp - Find the files of a safetensors checkpoint ---------===//
//
// With model.safetensors.index.json, the checkpoint is exactly the shards its
// weight_map names; without one, it is every *.safetensors file in the
// directory, in sorted order so that tensor lookups and errors are stable.
//
//===----------------------------------------------------------------------===//
#include "Checkpoint.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <dirent.h>
#include <sys/stat.h>

namespace helix::rt {

namespace {

using nlohmann::json;

constexpr const char *kIndexName = "model.safetensors.index.json";
constexpr const char *kExtension = ".safetensors";

bool endsWith(const std::string &text, const std::string &suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

Failure readIndex(const std::string &indexPath, ShardPlan &plan) {
  std::unique_ptr<MappedFile> file;
  if (Failure failure = MappedFile::open(indexPath, file))
    return failure;
  auto fail = [&](const std::string &problem) {
    return Failure{HELIX_ERROR_FORMAT, indexPath + ": " + problem};
  };
  const char *text = reinterpret_cast<const char *>(file->data());
  json root = json::parse(text, text + file->size(), /*cb=*/nullptr,
                          /*allow_exceptions=*/false);
  if (root.is_discarded())
    return fail("index is not valid JSON");
  if (!root.is_object())
    return fail("index is not a JSON object");
  auto weightMap = root.find("weight_map");
  if (weightMap == root.end() || !weightMap->is_object())
    return fail("index has no \"weight_map\" object");
  if (weightMap->empty())
    return fail("index has an empty \"weight_map\"");

  plan.indexPath = indexPath;
  for (auto item = weightMap->begin(); item != weightMap->end(); ++item) {
    const json &shard = item.value();
    // Shards live in the model directory; a path could escape it, and a NUL
    // would make the file opened differ from the name.
    if (!shard.is_string() || shard.get_ref<const std::string &>().empty() ||
        shard.get_ref<const std::string &>().find_first_of(
            std::string("/\0", 2)) != std::string::npos)
      return fail("weight_map entry for tensor " + quote(item.key()) +
                  " is not a file name in the model directory");
    const auto &shardName = shard.get_ref<const std::string &>();
    plan.weightMap.emplace_back(item.key(), shardName);
    plan.files.push_back(shardName);
  }
  std::sort(plan.files.begin(), plan.files.end());
  plan.files.erase(std::unique(plan.files.begin(), plan.files.end()),
                   plan.files.end());
  return {};
}

Failure listDirectory(const std::string &directory, ShardPlan &plan) {
  DIR *stream = ::opendir(directory.c_str());
  if (!stream)
    return {HELIX_ERROR_IO, directory + ": cannot read model directory: " +
                                std::strerror(errno)};
  while (const dirent *entry = ::readdir(stream)) {
    std::string name = entry->d_name;
    // Hidden files are skipped as a shell glob would (e.g. macOS "._x").
    if (name[0] == '.' || !endsWith(name, kExtension))
      continue;
    struct stat info;
    if (::stat(pathIn(directory, name).c_str(), &info) == 0 &&
        S_ISDIR(info.st_mode))
      continue;
    plan.files.push_back(name);
  }
  ::closedir(stream);
  if (plan.files.empty())
    return {HELIX_ERROR_IO,
            directory + ": no *.safetensors file in the model directory"};
  std::sort(plan.files.begin(), plan.files.end());
  return {};
}

} // namespace

std::string pathIn(const std::string &directory, const std::string &name) {
  if (directory.empty() || directory.back() == '/')
    return directory + name;
  return directory + "/" + name;
}

Failure planShards(const std::string &directory, ShardPlan &plan) {
  plan = ShardPlan();
  struct stat info;
  if (::stat(directory.c_str(), &info) != 0)
    return {HELIX_ERROR_IO, directory + ": cannot open model directory: " +
                                std::strerror(errno)};
  if (!S_ISDIR(info.st_mode))
    return {HELIX_ERROR_IO, directory + ": model path is not a directory"};

  std::string indexPath = pathIn(directory, kIndexName);
  // An index that exists but cannot be read must fail, not be skipped.
  if (::stat(indexPath.c_str(), &info) == 0 || errno != ENOENT)
    return readIndex(indexPath, plan);
  return listDirectory(directory, plan);
}

} // namespace helix::rt
