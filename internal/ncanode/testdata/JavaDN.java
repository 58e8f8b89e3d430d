// Prints, for each certificate file given, its name and Java's
// X500Principal.toString() of subject and issuer, tab-separated. Run by
// javadn_test.go when a JDK is installed (java JavaDN.java FILE...).
import java.io.FileInputStream;
import java.io.InputStream;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;

public class JavaDN {
    public static void main(String[] args) throws Exception {
        CertificateFactory cf = CertificateFactory.getInstance("X.509");
        for (String f : args) {
            try (InputStream in = new FileInputStream(f)) {
                X509Certificate c = (X509Certificate) cf.generateCertificate(in);
                System.out.println(new java.io.File(f).getName() + "\t" + c.getSubjectX500Principal() + "\t" + c.getIssuerX500Principal());
            }
        }
    }
}
