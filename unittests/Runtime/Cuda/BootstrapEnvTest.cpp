//===- BootstrapEnvTest.cpp - NCCL bootstrap from environment variables ---===//
#include "BootstrapEnv.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

using namespace helix_rt::cuda::bootstrap;

namespace {

GetEnv envOf(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const char *name) -> const char * {
    auto it = vars.find(name);
    return it == vars.end() ? nullptr : it->second.c_str();
  };
}

TEST(BootstrapEnv, HelixVariables) {
  EnvBootstrap b;
  std::string error;
  ASSERT_TRUE(parseBootstrapEnv(envOf({{"HELIX_RANK", "3"},
                                       {"HELIX_WORLD_SIZE", "8"},
                                       {"HELIX_LOCAL_RANK", "3"},
                                       {"HELIX_NCCL_ID_FILE", "/shared/id"},
                                       {"HELIX_JOB_ID", "run7"}}),
                                &b, &error))
      << error;
  EXPECT_EQ(b.rank, 3);
  EXPECT_EQ(b.worldSize, 8);
  EXPECT_EQ(b.localRank, 3);
  EXPECT_EQ(b.idFile, "/shared/id");
  EXPECT_EQ(b.jobId, "run7");
}

TEST(BootstrapEnv, SlurmFallbacks) {
  EnvBootstrap b;
  std::string error;
  ASSERT_TRUE(parseBootstrapEnv(envOf({{"SLURM_PROCID", "9"},
                                       {"SLURM_NTASKS", "16"},
                                       {"SLURM_LOCALID", "1"},
                                       {"SLURM_JOB_ID", "4242"},
                                       {"HELIX_NCCL_ID_FILE", "/scratch/id"}}),
                                &b, &error))
      << error;
  EXPECT_EQ(b.rank, 9);
  EXPECT_EQ(b.worldSize, 16);
  EXPECT_EQ(b.localRank, 1);
  EXPECT_EQ(b.jobId, "4242");
}

TEST(BootstrapEnv, SingleRankNeedsNoIdFile) {
  EnvBootstrap b;
  std::string error;
  EXPECT_TRUE(parseBootstrapEnv(
      envOf({{"HELIX_RANK", "0"}, {"HELIX_WORLD_SIZE", "1"}}), &b, &error))
      << error;
}

TEST(BootstrapEnv, Errors) {
  EnvBootstrap b;
  std::string error;
  EXPECT_FALSE(parseBootstrapEnv(envOf({}), &b, &error));
  EXPECT_NE(error.find("HELIX_RANK"), std::string::npos);
  EXPECT_FALSE(parseBootstrapEnv(
      envOf({{"HELIX_RANK", "x"}, {"HELIX_WORLD_SIZE", "2"}}), &b, &error));
  EXPECT_FALSE(parseBootstrapEnv(
      envOf({{"HELIX_RANK", "2"}, {"HELIX_WORLD_SIZE", "2"},
             {"HELIX_NCCL_ID_FILE", "/f"}}),
      &b, &error));
  EXPECT_NE(error.find("not below"), std::string::npos);
  EXPECT_FALSE(parseBootstrapEnv(
      envOf({{"HELIX_RANK", "0"}, {"HELIX_WORLD_SIZE", "2"}}), &b, &error));
  EXPECT_NE(error.find("HELIX_NCCL_ID_FILE"), std::string::npos);
}

TEST(BootstrapEnv, UniqueIdFileRoundTrip) {
  UniqueIdBytes id{};
  for (size_t i = 0; i < id.size(); ++i)
    id[i] = static_cast<unsigned char>(i * 37 + 5);
  const std::string text = encodeUniqueId(id, "4242", 8);
  UniqueIdBytes back{};
  std::string error;
  ASSERT_TRUE(decodeUniqueId(text, "4242", 8, &back, &error)) << error;
  EXPECT_EQ(back, id);
}

TEST(BootstrapEnv, StaleOrPartialIdFilesAreRejected) {
  UniqueIdBytes id{}, back{};
  std::string error;
  const std::string text = encodeUniqueId(id, "4242", 8);
  EXPECT_FALSE(decodeUniqueId(text, "4243", 8, &back, &error));
  EXPECT_NE(error.find("another job"), std::string::npos);
  EXPECT_FALSE(decodeUniqueId(text, "4242", 4, &back, &error));
  EXPECT_FALSE(decodeUniqueId(text.substr(0, text.size() / 2), "4242", 8,
                              &back, &error));
  EXPECT_FALSE(decodeUniqueId("", "4242", 8, &back, &error));
}

} // namespace
