/** Test support shared with other modules' tests through the test jar: measuring a report page in Chromium. */
package dev.graft.interpret.testing;
