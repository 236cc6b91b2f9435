// The transforms tests share autograd's test helpers (the op-samples generators as eager Tensors,
// comparisons that name the worst element): one copy, in the package the transforms came from.
export * from "../../autograd/test/support.js";
