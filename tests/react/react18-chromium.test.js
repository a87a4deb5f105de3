// authwasm/react with React 18 in Chromium under StrictMode (tests in chromium-suite.js).
import { defineChromiumSuite } from "./chromium-suite.js";

defineChromiumSuite(18);
