import XCTest
@testable import TandemCore

/// The numerics policy's choice of OpenBLAS kernels, for every combination of policy, environment,
/// autodetected kernels and CPU flags.
final class NumericsPolicyTests: XCTestCase {
    let avx512: Set<String> = ["sse2", "avx2", "fma", "avx512f", "avx512bw", "avx512dq", "avx512vl"]
    let avx2: Set<String> = ["sse2", "avx2", "fma"]
    let sse: Set<String> = ["sse2", "sse3"]

    func select(_ policy: NumericsPolicy, environment: [String: String] = [:], current: String, flags: Set<String>) -> String? {
        BLASKernelSelection.coreTypeToSelect(policy: policy, environment: environment, currentCore: current, flags: flags)
    }

    func testPortablePinsHaswellWhateverTheCPUOrEnvironmentPrefers() {
        XCTAssertEqual(select(.portable, current: "Prescott", flags: avx512), "Haswell")
        XCTAssertEqual(select(.portable, current: "SkylakeX", flags: avx512), "Haswell")
        XCTAssertEqual(select(.portable, environment: ["OPENBLAS_CORETYPE": "SkylakeX"], current: "SkylakeX", flags: avx512), "Haswell")
        XCTAssertEqual(select(.portable, environment: ["OPENBLAS_CORETYPE": ""], current: "Zen", flags: avx2), "Haswell")
        // Already there: no re-execution (an autodetected or a chosen Haswell, in any case).
        XCTAssertNil(select(.portable, current: "Haswell", flags: avx2))
        XCTAssertNil(select(.portable, environment: ["OPENBLAS_CORETYPE": "haswell"], current: "Haswell", flags: avx512))
        // Asked for and not obtained (an OpenBLAS without DYNAMIC_ARCH): no loop of re-executions.
        XCTAssertNil(select(.portable, environment: ["OPENBLAS_CORETYPE": "Haswell"], current: "Prescott", flags: avx512))
        // A CPU without AVX2/FMA cannot run the portable kernels.
        XCTAssertNil(select(.portable, current: "Nehalem", flags: sse))
    }

    func testNativeKeepsTheUsersChoiceAndOtherwiseReplacesGenericKernels() {
        XCTAssertNil(select(.native, environment: ["OPENBLAS_CORETYPE": "Haswell"], current: "Haswell", flags: avx512))
        XCTAssertNil(select(.native, environment: ["OPENBLAS_CORETYPE": "Prescott"], current: "Prescott", flags: avx512))
        XCTAssertEqual(select(.native, current: "Prescott", flags: avx512), "SkylakeX")
        XCTAssertEqual(select(.native, current: "Prescott", flags: avx2), "Haswell")
        XCTAssertNil(select(.native, current: "Prescott", flags: sse))
        XCTAssertNil(select(.native, current: "Zen", flags: avx2), "a family OpenBLAS chose itself stays")
        XCTAssertNil(select(.native, current: "SkylakeX", flags: avx512))
    }

    func testThePolicyIsReadFromTheEnvironmentAndBadValuesAreErrors() throws {
        XCTAssertEqual(try NumericsPolicy.requested(environment: [:]), .portable)
        XCTAssertEqual(try NumericsPolicy.requested(environment: ["TANDEM_NUMERICS": ""]), .portable)
        XCTAssertEqual(try NumericsPolicy.requested(environment: ["TANDEM_NUMERICS": "native"]), .native)
        XCTAssertEqual(try NumericsPolicy.requested(environment: ["TANDEM_NUMERICS": "Portable"]), .portable)
        XCTAssertThrowsError(try NumericsPolicy.requested(environment: ["TANDEM_NUMERICS": "fast"])) { error in
            XCTAssertEqual("\(error)", "TANDEM_NUMERICS=fast is not a numerics policy: expected portable or native")
        }
    }

    func testThePolicyInEffectFollowsTheKernelsReallyLoaded() {
        // This process's kernels come from its environment (the test passes set OPENBLAS_CORETYPE).
        let portable = NumericsPolicy.inEffect(environment: ["TANDEM_NUMERICS": "portable"])
        XCTAssertEqual(portable, BLASKernelSelection.coreName == "Haswell" ? .portable : .native)
        XCTAssertEqual(NumericsPolicy.inEffect(environment: ["TANDEM_NUMERICS": "native"]), .native)
        // Children are told to use exactly these kernels, under the policy really in effect.
        let children = NumericsPolicy.environmentForChildren(environment: ["TANDEM_NUMERICS": "portable"])
        XCTAssertEqual(children, ["TANDEM_NUMERICS": portable.rawValue, "OPENBLAS_CORETYPE": BLASKernelSelection.coreName,
                                  "TANDEM_CONVOLUTION": ConvolutionBackend.current.rawValue, "OMP_WAIT_POLICY": "passive"])
        XCTAssertNil(BLASKernelSelection.openMPWaitPolicyToSet(environment: children), "a child does not re-execute for OpenMP")
        XCTAssertEqual(BLASKernelSelection.openMPWaitPolicyToSet(environment: [:]), "passive")
        XCTAssertNil(BLASKernelSelection.openMPWaitPolicyToSet(environment: ["OMP_WAIT_POLICY": "active"]), "a user's choice stands")
        XCTAssertEqual(NumericsPolicy.environmentForChildren(environment: ["OMP_WAIT_POLICY": "active"])["OMP_WAIT_POLICY"], "active")
        XCTAssertNil(BLASKernelSelection.coreTypeToSelect(policy: portable, environment: children), "a child does not re-execute")
        XCTAssertTrue(NumericsPolicy.kernelFamily.hasPrefix("OpenBLAS \(BLASKernelSelection.coreName),"), NumericsPolicy.kernelFamily)
    }
}
