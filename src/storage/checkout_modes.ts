/**
 * The checkout modes, apart from the code that places files, so that the
 * command line can offer them without loading it.
 *
 * @module
 */

/** How a cached file appears in the workspace. */
export type CheckoutMode = "hardlink" | "symlink" | "copy";

/** Every checkout mode, in the default order of preference. */
export const CHECKOUT_MODES: readonly CheckoutMode[] = ["hardlink", "symlink", "copy"];
