// Unaligned vector loads and stores for kernels that work in eight-lane blocks.

extension SIMD8 where Scalar == Float {
    /// Eight Floats from `pointer` (any alignment).
    @inline(__always)
    static func load(_ pointer: UnsafeMutablePointer<Float>) -> SIMD8<Float> {
        UnsafeRawPointer(pointer).loadUnaligned(as: SIMD8<Float>.self)
    }

    /// Writes the eight lanes to `pointer` (any alignment).
    @inline(__always)
    func store(to pointer: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(pointer).storeBytes(of: self, as: SIMD8<Float>.self)
    }
}
