/** Graft's cli module. */
package dev.graft.cli;
