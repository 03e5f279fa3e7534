//===- manifest_json.h - the manifest as JSON, written and read -*- C++ -*-===//
//
// The compiler writes a Manifest with writeManifest, the runtime reads it
// with parseManifest. Each key is spelled once, in the schema() of its
// struct, which both directions walk. Header-only (needs nlohmann-json) so
// that the compiler includes it without linking the runtime.
//
//===----------------------------------------------------------------------===//
#ifndef HELIX_RT_MANIFEST_JSON_H
#define HELIX_RT_MANIFEST_JSON_H

#include "helix_rt/manifest.h"

#include <nlohmann/json.hpp>

#include <map>
#include <string>
#include <type_traits>

namespace helix_rt {

//===----------------------------------------------------------------------===//
// The schema: each struct's keys, in document order. `f(key, field)` is
// called once per key; the writer and the reader below are the two `f`s.
//===----------------------------------------------------------------------===//

namespace manifest_schema {

template <class T, class U>
using If = std::enable_if_t<std::is_same_v<std::remove_const_t<T>, U>>;

template <class F, class T> If<T, SliceSpec> schema(F &&f, T &s) {
  f("dim", s.dim);
  f("parts", s.parts);
  f("grid", s.grid);
  f("axes", s.axes);
}

template <class F, class T> If<T, OwnerSpec> schema(F &&f, T &o) {
  f("grid", o.grid);
  f("axes", o.axes);
  f("parts", o.parts);
  f("index", o.index);
}

template <class F, class T> If<T, WeightSpec> schema(F &&f, T &w) {
  f("name", w.name);
  f("shape", w.shape);
  f("slice", w.slice);
  f("owners", w.owners);
}

template <class F, class T> If<T, GroupSpec> schema(F &&f, T &g) {
  f("grid", g.grid);
  f("axes", g.axes);
}

template <class F, class T> If<T, MoeSpec> schema(F &&f, T &m) {
  f("num_experts", m.numExperts);
  f("width", m.width);
  f("shared_width", m.sharedWidth);
  f("experts", m.experts);
  f("shared", m.shared);
}

template <class F, class T> If<T, ModelSpec> schema(F &&f, T &m) {
  f("architecture", m.architecture);
  f("num_layers", m.numLayers);
  f("hidden_size", m.hiddenSize);
  f("vocab_size", m.vocabSize);
  f("weight_dtype", m.weightDtype);
}

template <class F, class T> If<T, Layout> schema(F &&f, T &l) {
  f("kvp", l.kvp);
  f("tpa", l.tpa);
  f("tpf", l.tpf);
  f("ep", l.ep);
  f("microbatches", l.microbatches);
  f("kv_block", l.kvBlock);
}

template <class F, class T> If<T, kernels::RopeParams> schema(F &&f, T &r) {
  f("theta", r.theta);
  f("scaling", r.scaling);
  f("interleaved", r.interleaved);
  f("factor", r.factor);
  f("low_freq_factor", r.lowFreqFactor);
  f("high_freq_factor", r.highFreqFactor);
  f("original_max_position", r.originalMaxPosition);
  f("beta_fast", r.betaFast);
  f("beta_slow", r.betaSlow);
  f("mscale", r.mscale);
  f("mscale_all_dim", r.mscaleAllDim);
}

/// The cache has two kinds: "kv" (kv_heads, head_dim) or "latent"
/// (kv_lora_rank, rope_dim); `latent` is the kind, not a key of its own.
template <class F, class T> If<T, CacheSpec> schema(F &&f, T &c) {
  f.kind("kind", c.latent, "latent", "kv");
  f("layers", c.layers);
  if (c.latent) {
    f("kv_lora_rank", c.kvLoraRank);
    f("rope_dim", c.ropeDim);
  } else {
    f("kv_heads", c.kvHeads);
    f("head_dim", c.headDim);
  }
  f("token_shards", c.tokenShards);
  f("block", c.block);
}

template <class F, class T> If<T, ScratchSpec> schema(F &&f, T &s) {
  f("bytes_per_row", s.bytesPerRow);
  f("bytes", s.bytes);
}

template <class F, class T> If<T, Manifest> schema(F &&f, T &m) {
  f("abi_version", m.abiVersion);
  f("target", m.target);
  f("model", m.model);
  f("layout", m.layout);
  f("grids", m.grids);
  f("cache", m.cache);
  f("weights", m.weights);
  f("ropes", m.ropes);
  f("groups", m.groups);
  f("moe", m.moes);
  f("scratch", m.scratch);
}

/// The structs that have a schema (objects in the document).
template <class T>
using HasSchema = std::disjunction<
    std::is_same<T, SliceSpec>, std::is_same<T, OwnerSpec>,
    std::is_same<T, WeightSpec>, std::is_same<T, GroupSpec>,
    std::is_same<T, MoeSpec>, std::is_same<T, ModelSpec>,
    std::is_same<T, Layout>, std::is_same<T, kernels::RopeParams>,
    std::is_same<T, CacheSpec>, std::is_same<T, ScratchSpec>,
    std::is_same<T, Manifest>>;

template <class T> struct IsOptional : std::false_type {};
template <class T> struct IsOptional<std::optional<T>> : std::true_type {};
template <class T> struct IsVector : std::false_type {};
template <class T> struct IsVector<std::vector<T>> : std::true_type {};
template <class T> struct IsStringMap : std::false_type {};
template <class T>
struct IsStringMap<std::map<std::string, T>> : std::true_type {};

inline const char *scalingName(kernels::RopeScaling s) {
  return s == kernels::RopeScaling::Llama3 ? "llama3"
         : s == kernels::RopeScaling::Yarn ? "yarn"
                                           : "none";
}

using Json = nlohmann::ordered_json;

struct Writer {
  Json &out;

  template <class T> static Json value(const T &v) {
    if constexpr (IsOptional<T>::value) {
      return v ? value(*v) : Json(nullptr);
    } else if constexpr (IsVector<T>::value) {
      Json array = Json::array();
      for (const auto &item : v)
        array.push_back(value(item));
      return array;
    } else if constexpr (std::is_same_v<T, kernels::RopeScaling>) {
      return scalingName(v);
    } else if constexpr (HasSchema<T>::value) {
      Json object = Json::object();
      schema(Writer{object}, v);
      return object;
    } else {
      return Json(v);
    }
  }
  template <class T> void operator()(const char *key, const T &v) const {
    out[key] = value(v);
  }
  void kind(const char *key, bool flag, const char *yes, const char *no) const {
    out[key] = flag ? yes : no;
  }
};

/// Reads through nlohmann's checked accessors: a missing key or a wrong
/// type throws nlohmann::json::exception, which parseManifest reports.
struct Reader {
  const nlohmann::json &in;

  template <class T> static void value(const nlohmann::json &j, T &v) {
    if constexpr (IsOptional<T>::value) {
      if (j.is_null()) {
        v.reset();
      } else {
        typename T::value_type inner{};
        value(j, inner);
        v = std::move(inner);
      }
    } else if constexpr (IsVector<T>::value) {
      v.clear();
      for (const nlohmann::json &item : j.get_ref<const nlohmann::json::array_t &>()) {
        typename T::value_type inner{};
        value(item, inner);
        v.push_back(std::move(inner));
      }
    } else if constexpr (IsStringMap<T>::value) {
      // Item by item, so the values go through the integer check below
      // (the grids: found by fuzz/ManifestFuzz.cpp, a 5.6e52 extent).
      v.clear();
      for (const auto &[key, item] :
           j.get_ref<const nlohmann::json::object_t &>()) {
        typename T::mapped_type inner{};
        value(item, inner);
        v.emplace(key, std::move(inner));
      }
    } else if constexpr (std::is_same_v<T, kernels::RopeScaling>) {
      std::string name = j.get<std::string>();
      v = name == "llama3" ? kernels::RopeScaling::Llama3
          : name == "yarn" ? kernels::RopeScaling::Yarn
                           : kernels::RopeScaling::None;
    } else if constexpr (HasSchema<T>::value) {
      if (!j.is_object())
        throw nlohmann::json::type_error::create(302, "expected an object",
                                                 &j);
      schema(Reader{j}, v);
    } else if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
      // Integers only: nlohmann converts a float such as 3e57 to an int
      // with undefined behaviour (found by fuzz/ManifestFuzz.cpp).
      if (!j.is_number_integer())
        throw nlohmann::json::type_error::create(302, "expected an integer",
                                                 &j);
      v = j.get<T>();
    } else {
      v = j.get<T>();
    }
  }
  template <class T> void operator()(const char *key, T &v) const {
    value(in.at(key), v);
  }
  void kind(const char *key, bool &flag, const char *yes, const char *no) const {
    std::string name = in.at(key).get<std::string>();
    if (name != yes && name != no)
      throw nlohmann::json::other_error::create(
          501, std::string("unknown ") + key + " '" + name + "'", &in);
    flag = name == yes;
  }
};

} // namespace manifest_schema

/// The manifest as one JSON document.
inline std::string writeManifest(const Manifest &manifest) {
  manifest_schema::Json doc = manifest_schema::Json::object();
  manifest_schema::schema(manifest_schema::Writer{doc}, manifest);
  return doc.dump();
}

/// Parses and checks a manifest; false with a one-line message on failure.
inline bool parseManifest(const std::string &text, Manifest &out,
                          std::string &error) {
  nlohmann::json doc = nlohmann::json::parse(text, nullptr,
                                             /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    error = "the module's manifest is not a JSON object";
    return false;
  }
  // The version first: a module of another version may differ in any key.
  auto version = doc.find("abi_version");
  if (version == doc.end() || !version->is_number_integer() ||
      version->get<int64_t>() != abi::kVersion) {
    error = "the module has ABI version " +
            (version == doc.end() ? std::string("(none)") : version->dump()) +
            "; this runtime reads version " + std::to_string(abi::kVersion) +
            " (recompile the module)";
    return false;
  }
  try {
    manifest_schema::schema(manifest_schema::Reader{doc}, out);
  } catch (const nlohmann::json::exception &e) {
    error = std::string("the module's manifest is malformed: ") + e.what();
    return false;
  }
  if (out.target != "cpu" && out.target != "cuda") {
    error = "the module is for an unknown target '" + out.target + "'";
    return false;
  }
  if (!out.cache) {
    error = "the module's manifest has no cache";
    return false;
  }
  if (out.scratch.bytesPerRow < 0 || out.scratch.bytes < 0) {
    error = "the module's manifest has a negative scratch size";
    return false;
  }
  return true;
}

} // namespace helix_rt

#endif // HELIX_RT_MANIFEST_JSON_H
