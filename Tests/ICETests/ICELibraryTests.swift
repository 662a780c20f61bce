import ICE
import Testing

@Suite struct ICELibraryTests {
    @Test func linkedLibniceIsAtLeast0_1_18() {
        let version = ICELibrary.version
        #expect(version.major == 0)
        #expect(version.minor > 1 || (version.minor == 1 && version.micro >= 18))
        #expect(ICELibrary.versionString.split(separator: ".").count == 3)
    }
}
