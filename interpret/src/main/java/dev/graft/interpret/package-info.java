/**
 * What a model gets wrong, measured while images stream past: confusion matrix, scikit-learn's classification report,
 * top-k accuracy, the top losses, multi-label threshold sweeps, regression errors, calibration (reliability diagram,
 * expected calibration error, temperature scaling), and a self-contained HTML report of it all.
 *
 * <p>Plain numbers in, plain numbers out: the accumulators take probabilities (or values) and labels, so the exported
 * model (runtime-edge), the trained model (trainer) and a test feed them alike. Memory is bounded whatever the number
 * of images: counts, a fixed number of bins, the top losses in a bounded heap and a fixed-size random sample.
 */
package dev.graft.interpret;
