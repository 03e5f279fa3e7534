shard.grid @g(shape = 3)
func.func @experts_slice(%x: tensor<?x8xf32>, %i: tensor<?x2xi64>, %w: tensor<?x2xf32>) {
  %y = helix.moe_experts %x, %i, %w prefix "m" {num_experts = 8 : i64, intermediate_size = 4 : i64, shared_intermediate_size = 0 : i64, expert_slice = #helix.slice<dim = 0, grid = @g, axes = [0]>} : tensor<?x8xf32>, tensor<?x2xi64>, tensor<?x2xf32>
  return
}
