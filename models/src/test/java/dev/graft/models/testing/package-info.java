/** Test support shared with the other modules' tests through the models test jar. */
package dev.graft.models.testing;
