import XCTest
import Foundation
@testable import Tandem

/// Student's t quantiles against printed tables and closed forms.
final class StudentTTests: XCTestCase {
    func testQuantilesMatchTheTables() {
        // The 97.5 % points every t table prints (three decimals).
        let table: [(Double, Double)] = [(1, 12.706), (2, 4.303), (3, 3.182), (4, 2.776), (5, 2.571), (10, 2.228), (29, 2.045), (120, 1.980)]
        for (degrees, printed) in table {
            XCTAssertEqual(StudentT.quantile(0.975, degreesOfFreedom: degrees), printed, accuracy: 5e-4, "ν = \(degrees)")
        }
        // More digits: t(0.975; 4) = 2.7764451, t(0.975; 29) = 2.0452296, t(0.95; 9) = 1.8331129.
        XCTAssertEqual(StudentT.quantile(0.975, degreesOfFreedom: 4), 2.7764451, accuracy: 1e-6)
        XCTAssertEqual(StudentT.quantile(0.975, degreesOfFreedom: 29), 2.0452296, accuracy: 1e-6)
        XCTAssertEqual(StudentT.quantile(0.95, degreesOfFreedom: 9), 1.8331129, accuracy: 1e-6)
        // Many degrees of freedom: the normal's 1.959964.
        XCTAssertEqual(StudentT.quantile(0.975, degreesOfFreedom: 1e7), 1.959964, accuracy: 1e-5)
    }

    func testClosedFormsForOneAndTwoDegreesOfFreedom() {
        for p in [0.6, 0.9, 0.975, 0.995] {
            // ν = 1 is the Cauchy distribution: t = tan(π(p − ½)).
            XCTAssertEqual(StudentT.quantile(p, degreesOfFreedom: 1), tan(Double.pi * (p - 0.5)), accuracy: 1e-9 * max(1, tan(Double.pi * (p - 0.5))))
            // ν = 2: t = (2p − 1) / √(2p(1 − p)).
            XCTAssertEqual(StudentT.quantile(p, degreesOfFreedom: 2), (2 * p - 1) / (2 * p * (1 - p)).squareRoot(), accuracy: 1e-9)
        }
        XCTAssertEqual(StudentT.cumulativeProbability(1, degreesOfFreedom: 1), 0.75, accuracy: 1e-14)   // ½ + atan(1)/π
        XCTAssertEqual(StudentT.cumulativeProbability(1, degreesOfFreedom: 2), 0.5 + 1 / (2 * 3.0.squareRoot()), accuracy: 1e-14)
        XCTAssertEqual(StudentT.cumulativeProbability(0, degreesOfFreedom: 7), 0.5)
    }

    func testSymmetryAndRoundTrip() {
        for degrees in [1.0, 2, 5, 17, 60] {
            XCTAssertEqual(StudentT.quantile(0.025, degreesOfFreedom: degrees), -StudentT.quantile(0.975, degreesOfFreedom: degrees))
            XCTAssertEqual(StudentT.cumulativeProbability(-1.3, degreesOfFreedom: degrees),
                           1 - StudentT.cumulativeProbability(1.3, degreesOfFreedom: degrees), accuracy: 1e-14)
            for p in [0.55, 0.8, 0.975, 0.999] {
                let t = StudentT.quantile(p, degreesOfFreedom: degrees)
                XCTAssertEqual(StudentT.cumulativeProbability(t, degreesOfFreedom: degrees), p, accuracy: 1e-12, "ν = \(degrees), p = \(p)")
            }
        }
        XCTAssertEqual(StudentT.quantile(0.5, degreesOfFreedom: 3), 0)
    }

    func testIncompleteBetaAgainstClosedForms() {
        // I_x(1, 1) = x; I_x(a, 1) = xᵃ; I_x(1, b) = 1 − (1 − x)ᵇ.
        for x in [0.1, 0.5, 0.93] {
            XCTAssertEqual(StudentT.regularizedIncompleteBeta(x, 1, 1), x, accuracy: 1e-14)
            XCTAssertEqual(StudentT.regularizedIncompleteBeta(x, 3, 1), pow(x, 3), accuracy: 1e-14)
            XCTAssertEqual(StudentT.regularizedIncompleteBeta(x, 1, 4), 1 - pow(1 - x, 4), accuracy: 1e-14)
        }
        XCTAssertEqual(StudentT.regularizedIncompleteBeta(0, 2, 3), 0)
        XCTAssertEqual(StudentT.regularizedIncompleteBeta(1, 2, 3), 1)
    }
}
