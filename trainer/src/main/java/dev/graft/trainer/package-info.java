/** Graft's trainer module. */
package dev.graft.trainer;
