// @aotjs/ir: not implemented yet; see the package README for the issue that brings it.
export {};
