// Server-side rendering of authwasm/react with React 19 in Node (tests in ssr-suite.js).
import { defineSsrSuite } from "./ssr-suite.js";

defineSsrSuite(19);
