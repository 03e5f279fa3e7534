//===- CheckpointTest.cpp - Model directories, shards and the index -------===//
#include "SafetensorsTestUtil.h"

#include <gtest/gtest.h>

#include <unistd.h>

using namespace helix::rt::test;

namespace {

constexpr const char *kIndex = "model.safetensors.index.json";

std::vector<std::string> tensorNames(const helix_checkpoint *checkpoint) {
  std::vector<std::string> names;
  for (int64_t i = 0; i < helix_checkpoint_size(checkpoint); ++i)
    names.push_back(helix_checkpoint_name(checkpoint, i));
  return names;
}

Bytes oneF32(const std::string &name, float value) {
  return safetensorsFile({{name, "F32", {1}, f32Bytes({value})}});
}

float readScalar(const helix_checkpoint *checkpoint, const char *name) {
  float value = -1;
  char error[256];
  EXPECT_EQ(helix_checkpoint_read_block(checkpoint, name, 0, 0, 1, &value,
                                        error, sizeof(error)),
            HELIX_OK)
      << error;
  return value;
}

void expectFailure(const Opened &opened, helix_status status,
                   const std::string &message) {
  EXPECT_EQ(opened.status, status) << opened.error;
  EXPECT_EQ(opened.checkpoint.get(), nullptr);
  EXPECT_NE(opened.error.find(message), std::string::npos)
      << "message: " << opened.error << "\nexpected: " << message;
  EXPECT_EQ(opened.error.find('\n'), std::string::npos) << opened.error;
}

class SafetensorsCheckpoint : public ::testing::Test {
protected:
  std::string indexJson(const std::string &weightMap) {
    return "{\"metadata\":{\"total_size\":8},\"weight_map\":" + weightMap + "}";
  }

  TempDir dir;
};

TEST_F(SafetensorsCheckpoint, RejectsMissingDirectory) {
  expectFailure(openCheckpoint(dir.file("nowhere")), HELIX_ERROR_IO,
                dir.file("nowhere") +
                    ": cannot open model directory: No such file or directory");
}

TEST_F(SafetensorsCheckpoint, RejectsPathThatIsNotADirectory) {
  writeBytes(dir.file("model.safetensors"), oneF32("w", 1));
  expectFailure(openCheckpoint(dir.file("model.safetensors")), HELIX_ERROR_IO,
                dir.file("model.safetensors") +
                    ": model path is not a directory");
}

TEST_F(SafetensorsCheckpoint, RejectsDirectoryWithoutSafetensorsFiles) {
  writeText(dir.file("config.json"), "{}");
  writeText(dir.file(".hidden.safetensors"), "");
  std::filesystem::create_directory(dir.file("sub.safetensors"));
  expectFailure(openCheckpoint(dir.path()), HELIX_ERROR_IO,
                dir.path() + ": no *.safetensors file in the model directory");
}

TEST_F(SafetensorsCheckpoint, RejectsUnreadableFile) {
  ASSERT_EQ(
      ::symlink(dir.file("gone").c_str(), dir.file("a.safetensors").c_str()),
      0);
  expectFailure(openCheckpoint(dir.path()), HELIX_ERROR_IO,
                dir.file("a.safetensors") +
                    ": cannot open: No such file or directory");
}

TEST_F(SafetensorsCheckpoint, RejectsNullArguments) {
  helix_checkpoint *checkpoint = reinterpret_cast<helix_checkpoint *>(1);
  char error[128];
  EXPECT_EQ(helix_checkpoint_open(nullptr, &checkpoint, error, sizeof(error)),
            HELIX_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(checkpoint, nullptr);
  EXPECT_NE(std::string(error).find("model directory is null or empty"),
            std::string::npos);
  EXPECT_EQ(helix_checkpoint_open("", &checkpoint, error, sizeof(error)),
            HELIX_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(
      helix_checkpoint_open(dir.path().c_str(), nullptr, error, sizeof(error)),
      HELIX_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(helix_checkpoint_size(nullptr), 0);
  EXPECT_EQ(helix_checkpoint_name(nullptr, 0), nullptr);
  helix_checkpoint_close(nullptr);
}

TEST_F(SafetensorsCheckpoint, TruncatesLongMessagesToTheBuffer) {
  char error[8];
  helix_checkpoint *checkpoint = nullptr;
  EXPECT_EQ(helix_checkpoint_open(dir.file("nowhere").c_str(), &checkpoint,
                                  error, sizeof(error)),
            HELIX_ERROR_IO);
  EXPECT_EQ(std::string(error), dir.file("nowhere").substr(0, 7));
}

TEST_F(SafetensorsCheckpoint, OpensEveryFileWithoutIndexSorted) {
  writeBytes(dir.file("b.safetensors"),
             safetensorsFile({{"z", "F32", {1}, f32Bytes({3})},
                              {"m", "F32", {1}, f32Bytes({2})}}));
  writeBytes(dir.file("a.safetensors"), oneF32("y", 1));
  writeText(dir.file("README.md"), "not a tensor file");
  Opened opened = openCheckpoint(dir.path());
  ASSERT_EQ(opened.status, HELIX_OK) << opened.error;
  helix_checkpoint *checkpoint = opened.checkpoint.get();
  EXPECT_EQ(tensorNames(checkpoint), (std::vector<std::string>{"m", "y", "z"}));
  EXPECT_EQ(helix_checkpoint_name(checkpoint, 3), nullptr);
  EXPECT_EQ(helix_checkpoint_name(checkpoint, -1), nullptr);
  EXPECT_EQ(readScalar(checkpoint, "y"), 1);
  EXPECT_EQ(readScalar(checkpoint, "m"), 2);
  EXPECT_EQ(readScalar(checkpoint, "z"), 3);
}

TEST_F(SafetensorsCheckpoint, ReportsErrorsOfAnyFileWithoutIndex) {
  writeBytes(dir.file("a.safetensors"), oneF32("y", 1));
  writeBytes(dir.file("b.safetensors"), Bytes{1, 2});
  expectFailure(openCheckpoint(dir.path()), HELIX_ERROR_IO,
                dir.file("b.safetensors") + ": file is 2 bytes");
}

TEST_F(SafetensorsCheckpoint, RejectsTensorInTwoFiles) {
  writeBytes(dir.file("a.safetensors"), oneF32("w", 1));
  writeBytes(dir.file("b.safetensors"), oneF32("w", 2));
  expectFailure(openCheckpoint(dir.path()), HELIX_ERROR_FORMAT,
                dir.file("b.safetensors") +
                    ": tensor \"w\" is also in a.safetensors");
}

TEST_F(SafetensorsCheckpoint, OpensOnlyTheShardsOfTheIndex) {
  writeBytes(dir.file("model-00001-of-00002.safetensors"), oneF32("a", 1));
  writeBytes(dir.file("model-00002-of-00002.safetensors"),
             safetensorsFile({{"b", "F32", {1}, f32Bytes({2})},
                              {"c", "F32", {1}, f32Bytes({3})}}));
  // Not named by the index, and broken: it must not be opened.
  writeBytes(dir.file("stale.safetensors"), Bytes{1});
  writeText(dir.file(kIndex),
            indexJson(R"({"a":"model-00001-of-00002.safetensors",)"
                      R"("b":"model-00002-of-00002.safetensors",)"
                      R"("c":"model-00002-of-00002.safetensors"})"));
  Opened opened = openCheckpoint(dir.path());
  ASSERT_EQ(opened.status, HELIX_OK) << opened.error;
  EXPECT_EQ(tensorNames(opened.checkpoint.get()),
            (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(readScalar(opened.checkpoint.get(), "a"), 1);
  EXPECT_EQ(readScalar(opened.checkpoint.get(), "c"), 3);
}

TEST_F(SafetensorsCheckpoint, RejectsMalformedIndex) {
  writeBytes(dir.file("model.safetensors"), oneF32("w", 1));
  std::string index = dir.file(kIndex);
  struct Case {
    std::string text;
    std::string problem;
  } cases[] = {
      {"{\"weight_map\":", "index is not valid JSON"},
      {"", "index is not valid JSON"},
      {"[]", "index is not a JSON object"},
      {"{\"metadata\":{}}", "index has no \"weight_map\" object"},
      {"{\"weight_map\":[\"model.safetensors\"]}",
       "index has no \"weight_map\" object"},
      {"{\"weight_map\":{}}", "index has an empty \"weight_map\""},
      {"{\"weight_map\":{\"w\":1}}",
       "weight_map entry for tensor \"w\" is not a file name in the model "
       "directory"},
      {"{\"weight_map\":{\"w\":\"../model.safetensors\"}}",
       "weight_map entry for tensor \"w\" is not a file name"},
      {"{\"weight_map\":{\"w\":\"\"}}",
       "weight_map entry for tensor \"w\" is not a file name"},
      // A NUL would open the file named by the text before it.
      {"{\"weight_map\":{\"w\":\"model.safetensors\\u0000x\"}}",
       "weight_map entry for tensor \"w\" is not a file name"},
  };
  for (const Case &test : cases) {
    SCOPED_TRACE(test.text);
    writeText(index, test.text);
    expectFailure(openCheckpoint(dir.path()), HELIX_ERROR_FORMAT,
                  index + ": " + test.problem);
  }
}

TEST_F(SafetensorsCheckpoint, RejectsIndexNamingMissingShard) {
  writeBytes(dir.file("model-00001-of-00002.safetensors"), oneF32("a", 1));
  writeText(dir.file(kIndex),
            indexJson(R"({"a":"model-00001-of-00002.safetensors",)"
                      R"("b":"model-00002-of-00002.safetensors"})"));
  expectFailure(openCheckpoint(dir.path()), HELIX_ERROR_IO,
                dir.file("model-00002-of-00002.safetensors") +
                    ": cannot open: No such file or directory (a shard named "
                    "by model.safetensors.index.json)");
}

TEST_F(SafetensorsCheckpoint, RejectsIndexTensorAbsentFromItsShard) {
  writeBytes(dir.file("one.safetensors"), oneF32("a", 1));
  writeBytes(dir.file("two.safetensors"), oneF32("b", 2));
  writeText(dir.file(kIndex),
            indexJson(R"({"a":"one.safetensors","b":"two.safetensors",)"
                      R"("c":"two.safetensors"})"));
  expectFailure(openCheckpoint(dir.path()), HELIX_ERROR_FORMAT,
                dir.file(kIndex) +
                    ": tensor \"c\" is in weight_map for two.safetensors, "
                    "which has no such tensor");
  // Present in the checkpoint, but not in the shard the index names.
  writeText(dir.file(kIndex),
            indexJson(R"({"a":"one.safetensors","b":"one.safetensors"})"));
  writeBytes(dir.file("one.safetensors"),
             safetensorsFile({{"a", "F32", {1}, f32Bytes({1})}}));
  expectFailure(openCheckpoint(dir.path()), HELIX_ERROR_FORMAT,
                dir.file(kIndex) +
                    ": tensor \"b\" is in weight_map for one.safetensors, "
                    "which has no such tensor");
}

TEST_F(SafetensorsCheckpoint, RejectsTensorInTwoShardsOfTheIndex) {
  writeBytes(dir.file("one.safetensors"), oneF32("a", 1));
  writeBytes(dir.file("two.safetensors"),
             safetensorsFile({{"a", "F32", {1}, f32Bytes({1})},
                              {"b", "F32", {1}, f32Bytes({2})}}));
  writeText(dir.file(kIndex),
            indexJson(R"({"a":"one.safetensors","b":"two.safetensors"})"));
  expectFailure(openCheckpoint(dir.path()), HELIX_ERROR_FORMAT,
                dir.file("two.safetensors") +
                    ": tensor \"a\" is also in one.safetensors");
}

TEST_F(SafetensorsCheckpoint, InfoGivesDtypeAndShape) {
  writeBytes(
      dir.file("model.safetensors"),
      safetensorsFile({{"w", "BF16", {2, 3}, u16Bytes({0, 0, 0, 0, 0, 0})},
                       {"h", "F16", {}, u16Bytes({0})}}));
  Opened opened = openCheckpoint(dir.path());
  ASSERT_EQ(opened.status, HELIX_OK) << opened.error;
  helix_tensor_info info;
  char error[256];
  ASSERT_EQ(helix_checkpoint_info(opened.checkpoint.get(), "w", &info, error,
                                  sizeof(error)),
            HELIX_OK);
  EXPECT_EQ(info.dtype, HELIX_DTYPE_BF16);
  EXPECT_EQ(info.rank, 2);
  EXPECT_EQ(info.shape[0], 2);
  EXPECT_EQ(info.shape[1], 3);
  EXPECT_EQ(info.shape[2], 0);
  ASSERT_EQ(helix_checkpoint_info(opened.checkpoint.get(), "h", &info, error,
                                  sizeof(error)),
            HELIX_OK);
  EXPECT_EQ(info.dtype, HELIX_DTYPE_F16);
  EXPECT_EQ(info.rank, 0);
  EXPECT_EQ(helix_checkpoint_info(opened.checkpoint.get(), "nope", &info, error,
                                  sizeof(error)),
            HELIX_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(std::string(error),
            dir.path() + ": no tensor \"nope\" in the checkpoint");
  EXPECT_EQ(helix_checkpoint_info(opened.checkpoint.get(), nullptr, &info,
                                  error, sizeof(error)),
            HELIX_ERROR_INVALID_ARGUMENT);
}

} // namespace
